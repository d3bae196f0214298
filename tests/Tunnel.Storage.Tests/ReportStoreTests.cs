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
