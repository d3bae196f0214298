using Tunnel.Core.Contracts;
using static Tunnel.Storage.Tests.TestData;

namespace Tunnel.Storage.Tests;

/// <summary>What the managers' reports ask of the store beyond the hourly counts, on every provider.</summary>
public abstract class ReportStoreContract : IDisposable
{
    private TunnelStore? _store;

    protected abstract StoreOptions Options { get; }

    protected TunnelStore Store => _store ??= TunnelStore.Open(Options);

    public virtual void Dispose()
    {
        _store?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void Passage_counts_split_an_hour_where_a_local_day_begins_inside_it()
    {
        // A day in India begins at 18:30 UTC: the part of the hour on each side is counted from the passages.
        var boundary = T0.AddMinutes(30);
        Store.AddPassages(Received(
            Passage("a1", 1, "浙A00001", T0.AddMinutes(29)), Passage("a1", 2, null, boundary.AddMilliseconds(-1), hazmat: true),
            Passage("a1", 3, "浙A00003", boundary), Passage("b1", 1, "浙A00004", T0.AddMinutes(40), Portal.Exit, bore: "south"),
            Passage("a1", 4, "浙A00005", T0.AddHours(1))));

        Assert.Equal(
        [
            (T0, "north", "entry", "car", false, 1L), (T0, "north", "entry", "truck", true, 1L),
        ], Store.PassageCounts(T0, boundary).Select(c => (c.Hour, c.Bore, c.Portal, c.VehicleClass, c.Hazmat, c.Passages)));
        Assert.Equal(
        [
            (boundary, "north", "entry", "car", false, 1L), (boundary, "south", "exit", "car", false, 1L),
        ], Store.PassageCounts(boundary, T0.AddHours(1)).Select(c => (c.Hour, c.Bore, c.Portal, c.VehicleClass, c.Hazmat, c.Passages)));
        Assert.Empty(Store.PassageCounts(T0.AddHours(2), T0.AddHours(3)));
    }

    [Fact]
    public void Transit_durations_are_grouped_by_the_period_they_entered_in_bore_and_class_shortest_first()
    {
        TransitRecord Ended(DateTimeOffset entered, double seconds, string bore = "north", VehicleClass cls = VehicleClass.Car) =>
            Transit(Guid.NewGuid(), null, entered) with { Bore = bore, VehicleClass = cls, ExitedAt = entered.AddSeconds(seconds), TransitSeconds = seconds, Status = "exact" };
        Store.UpsertTransits(
        [
            Ended(T0.AddMinutes(-1), 999), // before the first period
            Ended(T0, 200), Ended(T0.AddMinutes(10), 170), Ended(T0.AddMinutes(20), 185, cls: VehicleClass.Truck),
            Ended(T0.AddMinutes(30), 150, bore: "south"),
            Transit(Guid.NewGuid(), "浙A1", T0.AddMinutes(40)), // still inside: no duration
            Ended(T0.AddHours(1), 160), Ended(T0.AddHours(2), 999), // the second period; after the last one
        ]);

        var groups = Store.TransitDurationsBy([T0, T0.AddHours(1), T0.AddHours(2)])
            .OrderBy(g => (g.Period, g.Bore, g.VehicleClass)).Select(g => (g.Period, g.Bore, g.VehicleClass, string.Join(' ', g.Seconds)));
        Assert.Equal(
        [
            (0, "north", "car", "170 200"), (0, "north", "truck", "185"), (0, "south", "car", "150"), (1, "north", "car", "160"),
        ], groups);
        Assert.Empty(Store.TransitDurationsBy([T0]));
    }
}

public sealed class SqliteReportStoreTests : ReportStoreContract
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("tunnel-sqlite-reports-");

    public SqliteReportStoreTests() => Options = StoreOptions.SqliteInDataDirectory(Path.Combine(_directory.FullName, "data"));

    protected override StoreOptions Options { get; }

    public override void Dispose()
    {
        base.Dispose();
        _directory.Delete(recursive: true);
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresReportStoreTests : ReportStoreContract
{
    private readonly PostgresServer _server;
    private readonly string _schema = "r_" + Guid.NewGuid().ToString("N");

    public PostgresReportStoreTests(PostgresServer server)
    {
        _server = server;
        Options = StoreOptions.Postgres(server.CreateSchema(_schema));
    }

    protected override StoreOptions Options { get; }

    public override void Dispose()
    {
        base.Dispose();
        _server.DropSchema(_schema);
    }
}
