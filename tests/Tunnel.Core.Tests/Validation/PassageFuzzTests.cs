using Tunnel.Core.Contracts;
using Tunnel.Core.Tests.Fuzzing;
using Tunnel.Core.Validation;
using Xunit.Abstractions;

namespace Tunnel.Core.Tests.Validation;

public class PassageFuzzTests(ITestOutputHelper output)
{
    private const int Count = 12_000;

    [Theory]
    [InlineData(20261102)]
    [InlineData(42)]
    public void Every_fuzzed_message_gets_exactly_one_verdict_and_the_validator_survives(int seed)
    {
        var sites = SitesFile.Maoliling;
        var validator = new PassageValidator(sites);
        var fuzzer = new PassageFuzzer(seed, sites, Samples.Now);
        var failures = new List<string>();
        var byKind = new Dictionary<string, (int Total, int Rejected)>();
        var reasons = new Dictionary<RejectReason, int>();
        int mutated = 0, mutatedRejected = 0;

        foreach (var message in fuzzer.Generate(Count))
        {
            PassageValidation verdict;
            try
            {
                verdict = validator.Validate(message.Topic, message.Payload, Samples.Now);
            }
            catch (Exception e)
            {
                failures.Add($"threw {e.GetType().Name}: {e.Message} on {message}");
                continue;
            }

            var rejected = verdict as PassageValidation.Rejected;
            if (verdict is PassageValidation.Accepted == rejected is not null) failures.Add($"not exactly one verdict: {verdict} on {message}");
            if (rejected is { Reason: RejectReason.InternalError }) failures.Add($"internal error {rejected.Message} on {message}");
            if (rejected is not null && string.IsNullOrWhiteSpace(rejected.Message)) failures.Add($"rejected without a message: {message}");
            if (message.Expect == FuzzExpectation.Accept && rejected is not null) failures.Add($"valid by construction but {rejected} on {message}");
            if (message.Expect == FuzzExpectation.Reject && rejected is null) failures.Add($"broken by construction but accepted: {message}");

            var (total, rejectedCount) = byKind.GetValueOrDefault(message.Kind);
            byKind[message.Kind] = (total + 1, rejectedCount + (rejected is null ? 0 : 1));
            if (rejected is not null) reasons[rejected.Reason] = reasons.GetValueOrDefault(rejected.Reason) + 1;
            if (message.Kind != "valid")
            {
                mutated++;
                if (rejected is not null) mutatedRejected++;
            }
        }

        foreach (var (kind, (total, rejectedCount)) in byKind.OrderBy(k => k.Key, StringComparer.Ordinal))
            output.WriteLine($"{kind,-14} {total,6} messages, {rejectedCount,6} rejected");
        foreach (var (reason, n) in reasons.OrderBy(r => r.Key))
            output.WriteLine($"{reason.Code(),-18} {n,6}");

        Assert.True(failures.Count == 0, $"{failures.Count} failures, first ones:\n" + string.Join("\n", failures.Take(10)));
        Assert.Equal(Count, byKind.Values.Sum(v => v.Total));
        Assert.Equal(Count, validator.AcceptedCount + validator.RejectedCounts().Values.Sum());
        Assert.Equal(fuzzer.Kinds.Order(StringComparer.Ordinal), byKind.Keys.Order(StringComparer.Ordinal));
        Assert.True(byKind["valid"].Total > Count / 5);
        Assert.True(mutatedRejected > mutated * 0.8, $"only {mutatedRejected} of {mutated} mutated messages rejected");
        // Every reason a message can earn shows up (the fuzzer covers them all), and none is the validator failing.
        // A retired camera needs a sites file that has one; the fuzz runs on the reference deployment.
        Assert.Equal(RejectReasons.All.Where(r => r is not (RejectReason.InternalError or RejectReason.RetiredCamera)).Order(), reasons.Keys.Order());

        // Still healthy afterwards.
        Assert.IsType<PassageValidation.Accepted>(validator.Validate(Samples.PassageTopic, Samples.Utf8(Samples.Passage), Samples.Now));
    }

    [Fact]
    public void The_same_seed_gives_the_same_messages()
    {
        var a = new PassageFuzzer(7, SitesFile.Maoliling, Samples.Now).Generate(500).ToList();
        var b = new PassageFuzzer(7, SitesFile.Maoliling, Samples.Now).Generate(500).ToList();
        Assert.Equal(a.Select(m => (m.Kind, m.Topic, Convert.ToBase64String(m.Payload), m.Expect)), b.Select(m => (m.Kind, m.Topic, Convert.ToBase64String(m.Payload), m.Expect)));
    }
}
