using Tunnel.Recognition.Native;
using Tunnel.Recognition.Plates;

namespace Tunnel.Agent.Vision;

/// <summary>
/// What the reads of one vehicle gave: the fused plate (frame pixels), the frame to keep, the runs spent, and
/// the hazard-sign confidence (from the plate reads, or from the best frame alone when no plate was legible).
/// </summary>
internal sealed record VehicleReadout(PlateResult? Plate, CandidateFrame? BestFrame, int Runs, double HazmatConfidence = 0)
{
    public bool Hazmat => HazmatConfidence >= HazmatSigns.Threshold;
}

/// <summary>
/// Runs recognition on a vehicle's candidate frames, best first, stopping once enough reads agree, fuses
/// the reads, and picks the frame with the largest, sharpest, most confident plate as the snapshot.
/// </summary>
internal static class VehicleReading
{
    public static VehicleReadout Read(PlateReader? reader, CandidateFrames candidates, PassageDetectorOptions options)
    {
        if (reader is null) return new VehicleReadout(null, candidates.Best, 0);
        var reads = new List<(PlateResult Plate, CandidateFrame Frame)>();
        var runs = 0;
        // Each read also searches its whole frame (the vehicle crop: front, cab roof, tank) for hazard signs;
        // fusion keeps the strongest sighting.
        foreach (var frame in candidates.BestFirst().Take(options.MaxReadsPerVehicle))
        {
            runs++;
            if (reader.Read(frame.Image) is { } plate) reads.Add((plate, frame));
            if (Agreed(reads, options)) break;
        }
        if (reads.Count == 0)
        {
            // No legible plate: the signs still say what the vehicle carries.
            var signs = candidates.Best is { } only ? reader.DetectHazmat(only.Image).Confidence : 0;
            return new VehicleReadout(null, candidates.Best, runs, signs);
        }

        var fused = ReadFusion.Fuse(reads.Select(r => r.Plate).ToArray())!;
        var best = reads.MaxBy(r => PlateQuality(r.Plate, r.Frame.Image));
        var crop = best.Frame.Crop;
        // The fused plate takes the best frame's corners, moved from crop to frame pixels.
        var box = best.Plate.Box.Select(p => (p.X + crop.X, p.Y + crop.Y)).ToArray();
        return new VehicleReadout(fused with { Box = box, DoubleRow = best.Plate.DoubleRow }, best.Frame, runs, fused.HazmatConfidence);
    }

    private static bool Agreed(List<(PlateResult Plate, CandidateFrame Frame)> reads, PassageDetectorOptions options) =>
        reads.Where(r => r.Plate.Confidence >= options.AgreeingConfidence)
            .GroupBy(r => r.Plate.Text)
            .Any(g => g.Count() >= options.AgreeingReads);

    /// <summary>Plate pixels x confidence x sharpness of the plate itself (a sharp car can carry a blurred plate).</summary>
    private static double PlateQuality(PlateResult plate, Mat image)
    {
        var (x, y, w, h) = PlateGeometry.Bounds(plate.Box);
        var sharpness = CandidateFrames.SharpnessKnee;
        if (w > 2 && h > 2 && x < image.Width && y < image.Height && x + w > 0 && y + h > 0)
        {
            using var crop = image.Crop(x, y, w, h);
            sharpness = Cv.LaplacianVariance(crop);
        }
        return PlateGeometry.Area(plate.Box) * plate.Confidence * sharpness / (sharpness + CandidateFrames.SharpnessKnee);
    }
}
