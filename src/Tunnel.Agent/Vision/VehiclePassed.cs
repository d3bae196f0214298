using Tunnel.Core.Contracts;
using Tunnel.Recognition.Plates;

namespace Tunnel.Agent.Vision;

/// <summary>
/// One vehicle that crossed a lane's loop. <paramref name="Plate"/> is null when no plate was read (its Box is
/// in frame pixels); <paramref name="CapturedAt"/> is when the vehicle reached the loop; <paramref name="SnapshotJpeg"/>
/// is the vehicle (with a margin) in its best frame; <paramref name="Reads"/> counts the recognition runs spent on it.
/// </summary>
public sealed record VehiclePassed(int Lane, DateTimeOffset CapturedAt, PlateResult? Plate, VehicleClass Class, double ClassConfidence,
    bool Hazmat, double HazmatConfidence, byte[] SnapshotJpeg, int Reads);

/// <summary>What a detector has done so far.</summary>
public sealed record DetectorCounters(long Frames, long MotionFrames, long RecognitionRuns, long Vehicles,
    double MeanMillisecondsPerFrame, double RecognitionMilliseconds)
{
    /// <summary>Mean per frame without recognition: the part every frame pays.</summary>
    public double MeanGatingMillisecondsPerFrame => Frames == 0 ? 0 : MeanMillisecondsPerFrame - RecognitionMilliseconds / Frames;
    public double RecognitionRunsPerVehicle => Vehicles == 0 ? 0 : (double)RecognitionRuns / Vehicles;
}
