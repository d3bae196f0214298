using Tunnel.Recognition.Native;
using Tunnel.Recognition.Plates;

namespace Tunnel.Agent.Vision;

/// <summary>
/// One lane as a camera sees it. Vehicles are assumed to travel along the region's height (up or down the
/// image), as they do under a portal camera.
/// </summary>
/// <param name="Lane">Lane number reported in passages.</param>
/// <param name="Region">Pixels of the frame where this lane's vehicles are.</param>
/// <param name="LoopLine">Fraction of the region's height where the virtual loop lies (0 top, 1 bottom).</param>
/// <param name="PixelsPerMetre">Ground scale near the loop; 0 = uncalibrated (class from the plate only).</param>
public sealed record LaneView(int Lane, RegionOfInterest Region, double LoopLine = 0.6, double PixelsPerMetre = 0);

/// <summary>A lane's geometry in frame pixels, checked against the frame.</summary>
internal sealed record LaneGeometry(int Lane, PixelBox Region, int LoopY, int BandTop, int BandBottom, double PixelsPerMetre)
{
    public static LaneGeometry From(LaneView view, int frameWidth, int frameHeight, double readBand)
    {
        var r = view.Region;
        if (r.X < 0 || r.Y < 0 || r.Width <= 0 || r.Height <= 0 || r.X + r.Width > frameWidth || r.Y + r.Height > frameHeight)
            throw new ArgumentException(
                $"lane {view.Lane}: region (x {r.X}, y {r.Y}, {r.Width}x{r.Height}) lies outside the {frameWidth}x{frameHeight} frame; " +
                "fix the camera's lane regions in the agent configuration");
        var loopY = r.Y + (int)Math.Round(view.LoopLine * r.Height);
        var band = (int)Math.Round(readBand * r.Height);
        return new LaneGeometry(view.Lane, new PixelBox(r.X, r.Y, r.Width, r.Height), loopY,
            Math.Max(r.Y, loopY - band), Math.Min(r.Y + r.Height, loopY + band), view.PixelsPerMetre);
    }

    /// <summary>Checks what does not depend on the frame, so a bad configuration fails at construction.</summary>
    public static void CheckShape(IReadOnlyList<LaneView> lanes)
    {
        if (lanes.Count == 0) throw new ArgumentException("at least one lane view is needed", nameof(lanes));
        foreach (var lane in lanes)
        {
            if (lane.LoopLine is <= 0 or >= 1 || double.IsNaN(lane.LoopLine))
                throw new ArgumentException($"lane {lane.Lane}: loop line {lane.LoopLine} must lie strictly between 0 (top of the region) and 1 (bottom)");
            if (lane.PixelsPerMetre < 0 || double.IsNaN(lane.PixelsPerMetre))
                throw new ArgumentException($"lane {lane.Lane}: pixels per metre must be 0 (uncalibrated) or positive");
            if (lane.Region.Width <= 0 || lane.Region.Height <= 0)
                throw new ArgumentException($"lane {lane.Lane}: region must have a positive width and height");
        }
        var duplicate = lanes.GroupBy(l => l.Lane).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"lane {duplicate.Key} is configured twice");
    }

    public bool Holds(PixelBox box)
    {
        var cx = box.X + box.Width / 2;
        var cy = box.Y + box.Height / 2;
        return cx >= Region.X && cx < Region.Right && cy >= Region.Y && cy < Region.Bottom;
    }

    public bool OnLoop(PixelBox box) => box.Y <= LoopY && box.Bottom > LoopY;

    public bool InReadBand(PixelBox box) => box.Y < BandBottom && box.Bottom > BandTop;

    public bool Calibrated => PixelsPerMetre > 0;

    /// <summary>Whether the region's top and bottom edges cut the box (a few pixels' slack: blob edges jitter).</summary>
    public (bool Top, bool Bottom) EdgesCut(PixelBox box)
    {
        const int slack = 3;
        return (box.Y <= Region.Y + slack, box.Bottom >= Region.Bottom - slack);
    }

    /// <summary>
    /// 1 for a box clear of the region's top and bottom edges, halved for each edge it touches; a quarter more
    /// when only the end of the vehicle that does not carry the plate is in view.
    /// </summary>
    public double Visibility(PixelBox box, double velocityY, PlateEnd plateEnd)
    {
        var (top, bottom) = EdgesCut(box);
        if (!top && !bottom) return 1;
        if (top && bottom) return 0.25;
        // Moving down with the top edge cut (or up with the bottom cut), the leading end is the one in view.
        var leadingInView = velocityY == 0 || (velocityY > 0 == top);
        var wrongEnd = plateEnd switch
        {
            PlateEnd.Leading => !leadingInView,
            PlateEnd.Trailing => leadingInView,
            _ => false,
        };
        return wrongEnd ? 0.125 : 0.5;
    }
}
