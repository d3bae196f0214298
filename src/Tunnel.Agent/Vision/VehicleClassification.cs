using Tunnel.Core.Contracts;
using Tunnel.Recognition.Plates;

namespace Tunnel.Agent.Vision;

/// <summary>A vehicle's footprint on the road, from its motion region in a calibrated lane.</summary>
/// <param name="LengthIsAtLeast">The vehicle never fitted in the view: it is at least <paramref name="LengthMetres"/> long.</param>
public readonly record struct VehicleSize(double LengthMetres, double WidthMetres, bool LengthIsAtLeast);

/// <summary>
/// Vehicle class from the two things the agent sees: the plate (colour and type say small or large vehicle,
/// GA 36) and the footprint (length and width in a calibrated lane). The plate knows the category, the size
/// splits it (a blue plate is a car or a van; a yellow one a truck or a bus).
/// </summary>
public static class VehicleClassification
{
    /// <summary>Class from size alone. Thresholds are GB 1589 / GA 802 orders of magnitude, deliberately loose.</summary>
    public static (VehicleClass Class, double Confidence) FromSize(VehicleSize size)
    {
        var (length, width) = (size.LengthMetres, size.WidthMetres);
        if (!size.LengthIsAtLeast && length < 2.8 && width < 1.3) return (VehicleClass.Motorcycle, 0.6);
        if (!size.LengthIsAtLeast && length < 5.3) return (VehicleClass.Car, 0.6);
        if (!size.LengthIsAtLeast && length < 7) return (VehicleClass.Van, 0.5);
        if (length >= 7) return (VehicleClass.Truck, 0.5); // or a bus: a footprint cannot tell them apart
        // Longer than a short view, which says little: only the width still tells a heavy vehicle.
        return width >= 2.3 ? (VehicleClass.Truck, 0.4) : (VehicleClass.Car, 0.3);
    }

    public static (VehicleClass Class, double Confidence) Combine(PlateResult? plate, VehicleSize? size)
    {
        var fromPlate = plate is null || plate.VehicleClass == VehicleClass.Unknown
            ? ((VehicleClass, double)?)null
            : (plate.VehicleClass, plate.VehicleClassConfidence);
        var fromSize = size is { } s ? FromSize(s) : ((VehicleClass, double)?)null;
        return (fromPlate, fromSize) switch
        {
            (null, null) => (VehicleClass.Unknown, 0),
            (null, { } z) => z,
            ({ } p, null) => p,
            ({ } p, { } z) => Reconcile(p, z),
        };
    }

    private static (VehicleClass, double) Reconcile((VehicleClass Class, double Confidence) plate, (VehicleClass Class, double Confidence) size)
    {
        static double Both(double a, double b) => 1 - (1 - a) * (1 - b);
        if (plate.Class == size.Class) return (plate.Class, Both(plate.Confidence, size.Confidence));
        return (plate.Class, size.Class) switch
        {
            // Small-vehicle plates also cover vans and minibuses: the footprint tells which.
            (VehicleClass.Car, VehicleClass.Van) => (VehicleClass.Van, size.Confidence),
            // Yellow plates cover trucks and buses alike; a long footprint confirms "large", not which.
            (VehicleClass.Truck or VehicleClass.Bus, VehicleClass.Truck or VehicleClass.Van) => (plate.Class, Both(plate.Confidence, 0.5 * size.Confidence)),
            // Otherwise they disagree (merged regions, a trailer, a misread colour): the plate's category stands, less sure.
            _ => (plate.Class, plate.Confidence * (1 - 0.5 * size.Confidence)),
        };
    }
}
