using Tunnel.Core.Contracts;

namespace Tunnel.Simulation;

/// <summary>What a vehicle is and how it likes to drive: class, hazmat, preferred lane, desired speed, length.</summary>
internal sealed record VehicleKind(VehicleClass Class, bool Hazmat, double DesiredKmh, double LengthMeters);

internal sealed class Fleet(SimulationOptions options, Rng rng)
{
    public VehicleKind Next()
    {
        var hazmatTrucks = options.HazmatShare * options.HazmatTruckFraction;
        var hazmatVans = options.HazmatShare - hazmatTrucks;
        var u = rng.U();
        // Order of the cumulative bins does not matter for the shares; hazmat first keeps them exact.
        if ((u -= hazmatTrucks) < 0) return Kind(VehicleClass.Truck, hazmat: true);
        if ((u -= options.TruckShare - hazmatTrucks) < 0) return Kind(VehicleClass.Truck, hazmat: false);
        if ((u -= hazmatVans) < 0) return Kind(VehicleClass.Van, hazmat: true);
        if ((u -= options.VanShare - hazmatVans) < 0) return Kind(VehicleClass.Van, hazmat: false);
        if ((u -= options.BusShare) < 0) return Kind(VehicleClass.Bus, hazmat: false);
        if ((u -= options.MotorcycleShare) < 0) return Kind(VehicleClass.Motorcycle, hazmat: false);
        return Kind(VehicleClass.Car, hazmat: false);
    }

    private VehicleKind Kind(VehicleClass cls, bool hazmat)
    {
        // Desired speeds under an 80 km/h limit: cars cluster at the limit, heavy vehicles are governed lower,
        // tankers lowest (speed limiters and caution).
        var (kmh, length) = (cls, hazmat) switch
        {
            (VehicleClass.Truck, true) => (rng.ClippedNormal(60, 5, 48, 72), rng.U(12, 16.5)),
            (VehicleClass.Truck, false) => (rng.ClippedNormal(65, 6, 50, 80), rng.U(8, 17.5)),
            (VehicleClass.Van, true) => (rng.ClippedNormal(65, 5, 52, 76), rng.U(5, 6.5)),
            (VehicleClass.Van, false) => (rng.ClippedNormal(75, 7, 58, 90), rng.U(4.8, 6.5)),
            (VehicleClass.Bus, _) => (rng.ClippedNormal(72, 6, 58, 85), rng.U(10, 12.5)),
            (VehicleClass.Motorcycle, _) => (rng.ClippedNormal(75, 8, 55, 95), 2.2),
            _ => (rng.ClippedNormal(80, 7, 62, 96), rng.U(4.2, 5.1)),
        };
        return new VehicleKind(cls, hazmat, kmh, length);
    }

    /// <summary>Lane 1 is the fast (left) lane, lane <paramref name="lanes"/> the slow (right) lane.</summary>
    public int PickLane(VehicleKind kind, int lanes)
    {
        if (lanes == 1) return 1;
        var slowProbability = kind.Class switch
        {
            VehicleClass.Truck or VehicleClass.Bus => 0.92,
            VehicleClass.Van => kind.Hazmat ? 0.9 : 0.5,
            VehicleClass.Motorcycle => 0.6,
            _ => 0.3,
        };
        return rng.Chance(slowProbability) ? lanes : 1 + rng.Next(lanes - 1);
    }
}
