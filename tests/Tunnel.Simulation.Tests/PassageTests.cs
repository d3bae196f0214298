using System.Globalization;
using System.Text.RegularExpressions;
using Tunnel.Core.Contracts;
using Tunnel.Simulation;

namespace Tunnel.Simulation.Tests;

[Collection(DefaultDayCollection.Name)]
public sealed partial class PassageTests(DefaultDay day)
{
    private IReadOnlyList<DeliveredPassage> Passages => day.Result.Passages;

    [Fact]
    public void Each_agent_says_every_ten_seconds_how_far_it_has_counted_after_the_passages_it_sent_before_and_ahead_of_those_held_up()
    {
        var statuses = day.Result.Statuses;
        Assert.Equal(8, statuses.Select(s => s.Status.AgentId).Distinct().Count());
        foreach (var agent in statuses.GroupBy(s => s.Status.AgentId))
        {
            var sent = Passages.Where(p => p.Passage.AgentId == agent.Key).OrderBy(p => p.Passage.CapturedAt).ToList();
            var times = agent.Select(s => s.Status.At!.Value).ToList();
            Assert.All(times.Zip(times.Skip(1)), pair => Assert.InRange((pair.Second - pair.First - day.Options.StatusEvery).Duration().TotalMilliseconds, 0, 1));
            // Walked in step: the passages captured by each status's time, the highest number and the last on-time delivery among them.
            var (next, highest, onTimeBy) = (0, 0L, DateTimeOffset.MinValue);
            foreach (var (deliverAt, status) in agent.OrderBy(s => s.Status.At))
            {
                for (; next < sent.Count && sent[next].Passage.CapturedAt <= status.At; next++)
                {
                    highest = Math.Max(highest, sent[next].Passage.Seq);
                    if (!sent[next].Late && sent[next].DeliverAt > onTimeBy) onTimeBy = sent[next].DeliverAt;
                }
                Assert.Equal(highest, status.LastSeq);
                Assert.True(onTimeBy <= deliverAt, $"{agent.Key}: a passage it counts comes after the status of {status.At:HH:mm:ss.fff}");
            }
        }
        // Some status overtakes a passage held up: that is how the central service learns of it early.
        Assert.Contains(statuses, s => Passages.Any(p => p.Late && p.Passage.AgentId == s.Status.AgentId && p.Passage.Seq <= s.Status.LastSeq && p.DeliverAt > s.DeliverAt));

        var lines = new StringWriter();
        day.Result.WritePassages(lines);
        var schemas = lines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l[..40]).ToList();
        Assert.Equal(statuses.Count, schemas.Count(l => l.Contains(AgentStatus.SchemaId)));
        Assert.Equal(Passages.Count, schemas.Count(l => l.Contains(Passage.SchemaId)));
    }

    [Fact]
    public void Plates_go_unread_at_each_portal_at_the_configured_rate()
    {
        foreach (var portal in new[] { Portal.Entry, Portal.Exit })
        {
            var seen = Passages.Where(p => p.Passage.Portal == portal).ToList();
            var unread = seen.Count(p => p.Passage.Plate is null) / (double)seen.Count;
            Assert.InRange(unread, 0.025, 0.035);
            Assert.All(seen.Where(p => p.Passage.Plate is null), p => Assert.NotEqual(VehicleClass.Unknown, p.Passage.Vehicle.Class));
        }
    }

    [Fact]
    public void About_one_character_in_a_hundred_is_confused_and_scores_lower()
    {
        var truePlates = day.Truth.Vehicles.ToDictionary(v => v.EntryEventId, v => v.Plate);
        foreach (var v in day.Truth.Vehicles) truePlates[v.ExitEventId] = v.Plate;
        int chars = 0, wrong = 0;
        var wrongConfidence = new List<double>();
        var rightConfidence = new List<double>();
        foreach (var p in Passages.Select(d => d.Passage).Where(p => p.Plate is not null))
        {
            var truth = truePlates[p.EventId];
            var read = p.Plate!;
            Assert.Equal(truth.Length, read.Text.Length);
            Assert.Equal(read.Text.Length, read.CharConfidences!.Count);
            Assert.Equal(read.CharConfidences.Min(), read.Confidence);
            for (var i = 0; i < truth.Length; i++)
            {
                chars++;
                if (truth[i] != read.Text[i]) { wrong++; wrongConfidence.Add(read.CharConfidences[i]); }
                else rightConfidence.Add(read.CharConfidences[i]);
            }
        }
        // Slightly under 1 %: a few characters (挂, some provinces) have no look-alike.
        Assert.InRange(wrong / (double)chars, 0.008, 0.0105);
        Assert.All(wrongConfidence, c => Assert.InRange(c, 0.5, 0.9));
        Assert.True(rightConfidence.Average() > 0.95);
        Assert.Contains(rightConfidence, c => c < 0.9);   // confidence is a hint, not an oracle
    }

    [Fact]
    public void Class_colour_and_hazmat_are_misjudged_now_and_then()
    {
        var truth = day.Truth.Vehicles.SelectMany(v => new[] { (v.EntryEventId, v), (v.ExitEventId, v) }).ToDictionary(x => x.Item1, x => x.v);
        var all = Passages.Select(d => d.Passage).ToList();
        var classWrong = all.Count(p => p.Vehicle.Class != truth[p.EventId].Class) / (double)all.Count;
        Assert.InRange(classWrong, 0.015, 0.025);
        var read = all.Where(p => p.Plate is not null).ToList();
        var colourWrong = read.Count(p => p.Plate!.Color != truth[p.EventId].PlateColor) / (double)read.Count;
        Assert.InRange(colourWrong, 0.006, 0.014);
        var hazmat = all.Where(p => truth[p.EventId].Hazmat).ToList();
        Assert.InRange(hazmat.Count(p => p.Vehicle.Hazmat) / (double)hazmat.Count, 0.92, 0.98);
        Assert.True(all.Count(p => p.Vehicle.Hazmat && !truth[p.EventId].Hazmat) < all.Count * 0.005);
    }

    [Fact]
    public void Each_agent_numbers_its_passages_contiguously_in_capture_order()
    {
        var options = day.Options;
        foreach (var agent in Passages.Select(d => d.Passage).GroupBy(p => p.AgentId))
        {
            var first = agent.First();
            Assert.Equal($"{options.Site}-{first.Bore}-{TunnelJson.Name(first.Portal)}-{first.Lane}", agent.Key);
            Assert.All(agent, p => Assert.Equal($"cam-{first.Bore}-{TunnelJson.Name(first.Portal)}-{first.Lane}", p.CameraId));
            var bySeq = agent.OrderBy(p => p.Seq).ToList();
            Assert.Equal(Enumerable.Range(1, bySeq.Count).Select(i => (long)i), bySeq.Select(p => p.Seq));
            for (var i = 1; i < bySeq.Count; i++) Assert.True(bySeq[i].CapturedAt >= bySeq[i - 1].CapturedAt);
        }
        Assert.Equal(options.Bores.Sum(b => 2 * b.Lanes), Passages.Select(d => d.Passage.AgentId).Distinct().Count());
    }

    [Fact]
    public void Passages_come_in_delivery_order_and_a_few_are_late()
    {
        for (var i = 1; i < Passages.Count; i++) Assert.True(Passages[i].DeliverAt >= Passages[i - 1].DeliverAt);
        var late = Passages.Where(p => p.Late).ToList();
        Assert.InRange(late.Count / (double)Passages.Count, 0.017, 0.023);
        Assert.All(late, p => Assert.InRange((p.DeliverAt - p.Passage.CapturedAt).TotalSeconds, 5, 120.001));
        Assert.All(Passages.Where(p => !p.Late), p => Assert.InRange((p.DeliverAt - p.Passage.CapturedAt).TotalSeconds, 0, 1.5));

        // In the stream a late passage follows passages captured after it, up to two minutes after.
        var maxOvertake = TimeSpan.Zero;
        var latestCapture = DateTimeOffset.MinValue;
        foreach (var p in Passages)
        {
            if (p.Passage.CapturedAt < latestCapture && latestCapture - p.Passage.CapturedAt > maxOvertake) maxOvertake = latestCapture - p.Passage.CapturedAt;
            if (p.Passage.CapturedAt > latestCapture) latestCapture = p.Passage.CapturedAt;
        }
        Assert.InRange(maxOvertake.TotalSeconds, 60, 122);
    }

    [Fact]
    public void Passages_follow_the_contract_and_survive_a_json_round_trip()
    {
        Assert.Equal(Passages.Count, Passages.Select(p => p.Passage.EventId).Distinct().Count());
        foreach (var d in Passages.Take(2000))
        {
            var p = d.Passage;
            Assert.Equal(Passage.SchemaId, p.Schema);
            Assert.Equal(TimeSpan.Zero, p.CapturedAt.Offset);
            Assert.Equal(0, p.CapturedAt.Ticks % TimeSpan.TicksPerMillisecond);
            var json = TunnelJson.Serialize(p);
            var back = TunnelJson.Deserialize<Passage>(json)!;
            Assert.Equal(p.EventId, back.EventId);
            Assert.Equal(p.Plate?.Text, back.Plate?.Text);
            Assert.Equal(p.CapturedAt, back.CapturedAt);
            Assert.Contains("\"portal\":\"" + TunnelJson.Name(p.Portal) + "\"", json);
        }
    }

    [GeneratedRegex(@"^[\u4e00-\u9fff][A-HJ-NP-Z]([A-HJ-NP-Z0-9]{5}|[DF][A-HJ-NP-Z0-9][0-9]{4}|[A-HJ-NP-Z0-9]{4}挂)$")]
    private static partial Regex PlateFormat();

    [Fact]
    public void Plates_are_unique_and_look_like_mainland_plates()
    {
        var vehicles = day.Truth.Vehicles;
        Assert.Equal(vehicles.Count, vehicles.Select(v => v.Plate).Distinct().Count());
        Assert.All(vehicles, v => Assert.Matches(PlateFormat(), v.Plate));
        Assert.InRange(vehicles.Count(v => v.Plate[0] == '浙') / (double)vehicles.Count, 0.5, 0.7);
        var cars = vehicles.Where(v => v.Class == VehicleClass.Car).ToList();
        Assert.InRange(cars.Count(v => v.PlateColor == PlateColor.Green) / (double)cars.Count, 0.12, 0.18);
        Assert.All(cars.Where(v => v.PlateColor == PlateColor.Green), v => Assert.Equal(8, v.Plate.Length));
        Assert.All(vehicles.Where(v => v.Class is VehicleClass.Truck or VehicleClass.Bus), v => Assert.Equal(PlateColor.Yellow, v.PlateColor));
        Assert.Contains(vehicles, v => v.Plate.EndsWith('挂'));
    }

    [Fact]
    public void Demand_follows_the_day_with_the_configured_mix()
    {
        var options = day.Options;
        foreach (var bore in day.Truth.Bores)
        {
            var vehicles = day.Truth.Vehicles.Where(v => v.Bore == bore.Bore).ToList();
            Assert.InRange(vehicles.Count, 18_000, 28_000);
            var perHour = vehicles.GroupBy(v => v.EnteredAt.ToOffset(options.LocalUtcOffset).Hour).ToDictionary(g => g.Key, g => g.Count());
            Assert.InRange(perHour[3], 0.05 * options.PeakVehiclesPerHour, 0.15 * options.PeakVehiclesPerHour);
            Assert.InRange(perHour[8], 0.85 * options.PeakVehiclesPerHour, 1.1 * options.PeakVehiclesPerHour);
            Assert.InRange(perHour[17], 0.85 * options.PeakVehiclesPerHour, 1.1 * options.PeakVehiclesPerHour);
            Assert.True(perHour.Values.Max() < 1.15 * options.PeakVehiclesPerHour);

            foreach (var lane in vehicles.GroupBy(v => v.EntryLane))
            {
                var entries = lane.Select(v => v.EnteredAt).OrderBy(t => t).ToList();
                for (var i = 1; i < entries.Count; i++) Assert.True((entries[i] - entries[i - 1]).TotalSeconds >= options.MinEntryHeadwaySeconds - 0.002);
            }
            // Heavy vehicles keep to the slow lane (the highest number), cars mostly to the fast lane 1.
            var trucks = vehicles.Where(v => v.Class == VehicleClass.Truck).ToList();
            Assert.True(trucks.Count(v => v.EntryLane == 2) > 0.85 * trucks.Count);
            var cars = vehicles.Where(v => v.Class == VehicleClass.Car).ToList();
            Assert.True(cars.Count(v => v.EntryLane == 1) > 0.6 * cars.Count);
        }
        var all = day.Truth.Vehicles;
        Assert.InRange(all.Count(v => v.Class == VehicleClass.Truck) / (double)all.Count, 0.33, 0.37);
        Assert.InRange(all.Count(v => v.Hazmat) / (double)all.Count, 0.035, 0.045);
        Assert.True(all.Where(v => v.Hazmat).Count(v => v.Class == VehicleClass.Truck) > 0.8 * all.Count(v => v.Hazmat));
        Assert.Contains(all, v => v.Class == VehicleClass.Bus);
        Assert.Contains(all, v => v.Class == VehicleClass.Motorcycle);
        Assert.Contains(all, v => v.Class == VehicleClass.Van);
    }

    [Fact]
    public void The_truth_agrees_with_the_passages()
    {
        var byId = Passages.ToDictionary(d => d.Passage.EventId);
        Assert.Equal(2 * day.Truth.Vehicles.Count, Passages.Count);
        foreach (var v in day.Truth.Vehicles)
        {
            var entry = byId[v.EntryEventId];
            var exit = byId[v.ExitEventId];
            Assert.Equal((Portal.Entry, v.Bore, v.EntryLane, v.EnteredAt, v.EntryRead, v.EntryDeliveredAt, v.EntryLate),
                (entry.Passage.Portal, entry.Passage.Bore, entry.Passage.Lane, entry.Passage.CapturedAt, entry.Passage.Plate?.Text, entry.DeliverAt, entry.Late));
            Assert.Equal((Portal.Exit, v.Bore, v.ExitLane, v.ExitedAt, v.ExitRead, v.ExitDeliveredAt, v.ExitLate),
                (exit.Passage.Portal, exit.Passage.Bore, exit.Passage.Lane, exit.Passage.CapturedAt, exit.Passage.Plate?.Text, exit.DeliverAt, exit.Late));
            Assert.True(v.ExitedAt > v.EnteredAt);
        }
        var vehicles = day.Truth.Vehicles.ToDictionary(v => v.Id);
        foreach (var stop in day.Truth.Stops)
        {
            var v = vehicles[stop.VehicleId];
            Assert.True(v.Stopped);
            Assert.Equal((v.Plate, v.EntryEventId, v.EntryRead, v.EntryLane, v.EnteredAt, v.ExitedAt),
                (stop.TruePlate, stop.EntryEventId, stop.EntryPlateRead, stop.Lane, stop.EnteredAt, stop.ExitedAt));
        }
        foreach (var bore in day.Truth.Bores)
        {
            var vs = day.Truth.Vehicles.Where(v => v.Bore == bore.Bore).ToList();
            Assert.Equal(vs.Count, bore.Vehicles);
            Assert.Equal(vs.Count(v => v.EntryRead is null), bore.EntryUnread);
            Assert.Equal(vs.Count(v => v.ExitRead is not null && v.ExitRead != v.Plate), bore.ExitMisread);
        }
        Assert.True(day.Truth.LastExitAt >= day.Truth.Vehicles.Max(v => v.ExitedAt));
        Assert.Equal(day.Truth.Start + TimeSpan.FromHours(24), day.Truth.End);
        Assert.All(day.Truth.Vehicles, v => Assert.True(v.EnteredAt >= day.Truth.Start && v.EnteredAt < day.Truth.End + TimeSpan.FromMinutes(5),
            v.EnteredAt.ToString("O", CultureInfo.InvariantCulture)));
    }
}
