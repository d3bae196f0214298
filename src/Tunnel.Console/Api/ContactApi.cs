using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tunnel.Central.Alarms;
using Tunnel.Central.Service;
using Tunnel.Core.Plates;
using Tunnel.Storage;
using Tunnel.WebConsole.Security;

namespace Tunnel.WebConsole.Api;

public sealed record ContactDto(string Plate, string Name, string Phone, string? Company, string? Note, string UpdatedBy, DateTimeOffset UpdatedAt);
public sealed record ContactRequest(string Plate, string Name, string Phone, string? Company, string? Note);
/// <summary>What to look for in the directory: in the body, since it is often a plate.</summary>
public sealed record ContactSearch(string? Search);
/// <summary>Whose contact to remove: in the body, since it is a plate.</summary>
public sealed record ContactPlate(string Plate);
public sealed record ContactAttemptDto(DateTimeOffset At, string By, string Outcome, string? Note);
/// <summary>
/// The lookup behind "contact the driver": the alarm's plate, its directory entry if any, and the attempts so far; for an
/// alarm that names a second suspect (one of the two is inside, which one no camera can tell), its plate and entry too.
/// </summary>
public sealed record AlarmContact(Guid AlarmId, string? Plate, ContactDto? Contact, IReadOnlyList<ContactAttemptDto> Attempts,
    string? SecondPlate = null, ContactDto? SecondContact = null);
public sealed record ContactAttemptRequest(string Outcome, string? Note);

internal static partial class ContactApi
{
    public static readonly IReadOnlyList<string> Outcomes = ["reached", "no-answer", "wrong-number", "not-in-directory"];
    private const int MaxNote = 300;

    public static void Map(RouteGroupBuilder api)
    {
        // No plate in an address: reverse proxies log addresses and browsers keep them in their history, past the plates'
        // retention and out of its reach. Searching and deleting, which name a plate, post it in the body instead.
        var contacts = api.MapGroup("/contacts").WithTags("Contacts").RequireAuthorization(Policies.Act);
        contacts.MapGet("/", (HttpRequest request, ClaimsPrincipal user, TunnelStore store, TimeProvider clock) =>
            {
                if (request.Query.ContainsKey("search"))
                    return Results.BadRequest(new ApiError("plate-in-address", "search with POST /api/v1/contacts/search: no plate in an address"));
                return Results.Ok(List(null, user, store, clock));
            })
            .WithSummary("The whole driver contact directory, by plate (operator, admin; audited); searching is POST /api/v1/contacts/search");

        contacts.MapPost("/search", (ContactSearch request, ClaimsPrincipal user, TunnelStore store, TimeProvider clock) =>
                List(request.Search, user, store, clock))
            .WithSummary("Search the driver contact directory: {\"search\"} matches plate, name or company, all when empty; in the body, not " +
                         "the address, so no plate reaches a proxy's log or the browser's history (operator, admin; audited)");

        contacts.MapPost("/", (ContactRequest request, ClaimsPrincipal user, TunnelStore store, TimeProvider clock) =>
            {
                if (Invalid(request) is { } problem) return Results.BadRequest(new ApiError("invalid", problem));
                var now = clock.GetUtcNow();
                var plate = PlateKey.Of(request.Plate);
                if (plate.Length == 0) return Results.BadRequest(new ApiError("invalid", "a plate needs letters or digits"));
                var existed = store.GetContact(plate) is not null;
                var contact = new DriverContact
                {
                    Plate = plate, Name = request.Name.Trim(), Phone = request.Phone.Trim(), Company = Blank(request.Company), Note = Blank(request.Note),
                    UpdatedBy = Actor(user), UpdatedAt = now,
                };
                store.SaveContact(contact);
                store.Audit(Actor(user), existed ? "contact-updated" : "contact-created", AuditSubject(plate), null, now);
                return Results.Ok(ToDto(contact));
            })
            .WithSummary("Add or replace the contact of a plate: name, phone (digits, + - space), company, note (operator, admin; audited)");

        contacts.MapPost("/delete", (ContactPlate request, ClaimsPrincipal user, TunnelStore store, TimeProvider clock) =>
            {
                var plate = PlateKey.Of(request.Plate ?? "");
                if (!store.DeleteContact(plate)) return Results.NotFound(new ApiError("not-found", "no contact for that plate"));
                store.Audit(Actor(user), "contact-deleted", AuditSubject(plate), null, clock.GetUtcNow());
                return Results.NoContent();
            })
            .WithSummary("Remove a plate's contact: {\"plate\"} in the body, not the address (operator, admin; audited)");

        var alarms = api.MapGroup("/alarms").WithTags("Alarms").RequireAuthorization(Policies.Act);
        alarms.MapGet("/{id:guid}/contact", (Guid id, ClaimsPrincipal user, TunnelStore store, TimeProvider clock) =>
            {
                var history = store.AlarmHistory(id);
                if (history.Count == 0) return Results.NotFound(new ApiError("not-found", $"no alarm {id}"));
                var plate = history[0].Plate;
                var secondPlate = history[^1].Alternative?.Plate;
                DriverContact? Lookup(string? p) => string.IsNullOrEmpty(p) ? null : store.GetContact(p);
                var (contact, second) = (Lookup(plate), Lookup(secondPlate));
                store.Audit(Actor(user), "contact-lookup", "alarm:" + id, contact is null && second is null ? "not in directory" : "found", clock.GetUtcNow());
                return Results.Ok(new AlarmContact(id, plate, contact is null ? null : ToDto(contact),
                    store.ContactAttempts(id).Select(a => new ContactAttemptDto(a.At, a.Actor, a.Outcome, a.Note)).ToList(),
                    secondPlate, second is null ? null : ToDto(second)));
            })
            .WithSummary("Contact the driver, step 1: look the alarm's plate up in the directory, and its second suspect's when it names one (operator; audited)");

        alarms.MapPost("/{id:guid}/contact-attempts", async (Guid id, ContactAttemptRequest request, ClaimsPrincipal user, CentralService service,
                TunnelStore store, TimeProvider clock) =>
            {
                if (!Outcomes.Contains(request.Outcome))
                    return Results.BadRequest(new ApiError("invalid", $"outcome must be one of {string.Join(", ", Outcomes)}"));
                if (request.Note is { Length: > MaxNote }) return Results.BadRequest(new ApiError("invalid", $"a note has at most {MaxNote} characters"));
                var note = Blank(request.Note);
                var by = Actor(user);
                try
                {
                    // On the alarm itself, so everyone handling it sees who was called and how it went.
                    await service.AddNoteAsync(id, by, NoteText(request.Outcome, note));
                }
                catch (AlarmStateException e)
                {
                    return Results.Conflict(new ApiError("alarm-state", e.Message));
                }
                var now = clock.GetUtcNow();
                store.AddContactAttempt(id, by, request.Outcome, note, now);
                store.Audit(by, "contact-driver", "alarm:" + id, request.Outcome, now);
                return Results.NoContent();
            })
            .WithSummary("Contact the driver, step 2: record the attempt and its outcome (reached, no-answer, wrong-number, not-in-directory) as an alarm note (operator; audited)");
    }

    private static List<ContactDto> List(string? search, ClaimsPrincipal user, TunnelStore store, TimeProvider clock)
    {
        // Names and phone numbers are personal data too: who browsed the directory is recorded.
        store.Audit(Actor(user), "view-contacts", "contacts", string.IsNullOrWhiteSpace(search) ? null : "search", clock.GetUtcNow());
        return store.ListContacts(search).Select(ToDto).ToList();
    }

    /// <summary>The alarm note; the console recognises the prefix and shows it in the reader's language.</summary>
    public static string NoteText(string outcome, string? note) => note is null ? $"contact-driver {outcome}" : $"contact-driver {outcome}: {note}";

    private static string? Invalid(ContactRequest r) =>
        string.IsNullOrWhiteSpace(r.Plate) || r.Plate.Trim().Length > 16 ? "a plate of 1 to 16 characters is required"
        : string.IsNullOrWhiteSpace(r.Name) || r.Name.Length > 100 ? "a name of 1 to 100 characters is required"
        : r.Phone is null || !PhoneLike().IsMatch(r.Phone.Trim()) ? "a phone number of 5 to 20 digits, +, - or spaces is required"
        : r.Company is { Length: > 100 } ? "a company name has at most 100 characters"
        : r.Note is { Length: > MaxNote } ? $"a note has at most {MaxNote} characters"
        : null;

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static string Actor(ClaimsPrincipal user) => user.Identity!.Name!;

    /// <summary>The audit log outlives the directory's entries and the plates' retention: it names a contact by its masked plate.</summary>
    private static string AuditSubject(string plate) => "contact:" + PlateMask.Apply(plate, visible: false);

    private static ContactDto ToDto(DriverContact c) => new(c.Plate, c.Name, c.Phone, c.Company, c.Note, c.UpdatedBy, c.UpdatedAt);

    [GeneratedRegex(@"^[0-9+][0-9 \-]{4,19}$")]
    private static partial Regex PhoneLike();
}
