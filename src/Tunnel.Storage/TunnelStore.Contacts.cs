using System.Data.Common;
using Tunnel.Core.Plates;
using Tunnel.Storage.Internal;

namespace Tunnel.Storage;

/// <summary>
/// Whom to call about a vehicle: fleets and hazmat carriers register their drivers by plate. The store keys a contact by
/// <see cref="PlateKey"/>, so one saved as "浙c 9h·907" is read back, and found by an alarm, as 浙C9H907.
/// </summary>
public sealed record DriverContact
{
    public required string Plate { get; init; }
    public required string Name { get; init; }
    public required string Phone { get; init; }
    public string? Company { get; init; }
    public string? Note { get; init; }
    public string UpdatedBy { get; init; } = "";
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>One attempt to reach a driver about an alarm.</summary>
public sealed record ContactAttempt(long Id, Guid AlarmId, DateTimeOffset At, string Actor, string Outcome, string? Note);

public sealed partial class TunnelStore
{
    private const string ContactColumns = "plate_text, name, phone, company, note, updated_by, updated_at";

    /// <summary>The contact of a plate written in any of the ways <see cref="PlateKey"/> folds.</summary>
    public DriverContact? GetContact(string plate) =>
        Query($"SELECT {ContactColumns} FROM contacts WHERE plate_text = @plate", ReadContact, ("@plate", Col.Text, PlateKey.Of(plate))).FirstOrDefault();

    /// <summary>Contacts whose plate, name or company contains <paramref name="search"/> (all when empty, letters in either case), by plate.</summary>
    public IReadOnlyList<DriverContact> ListContacts(string? search = null, int limit = 500)
    {
        // SQLite's LIKE ignores the case of ASCII letters and PostgreSQL's does not: both compare lower case, so "b555" finds 沪B55555 on either.
        var filter = new Filter().AddIf(!string.IsNullOrWhiteSpace(search),
            "(LOWER(plate_text) LIKE @like OR LOWER(name) LIKE @like OR LOWER(company) LIKE @like)",
            ("@like", Col.Text, "%" + search?.Trim().ToLowerInvariant() + "%"));
        return Query($"SELECT {ContactColumns} FROM contacts{filter.Where} ORDER BY plate_text LIMIT @limit",
            ReadContact, filter.Parameters(("@limit", Col.Int, limit)));
    }

    /// <summary>Adds or replaces the contact of a plate, kept under its <see cref="PlateKey"/>.</summary>
    public void SaveContact(DriverContact contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        var plate = PlateKey.Of(contact.Plate);
        if (plate.Length == 0) throw new ArgumentException($"the plate '{contact.Plate}' has no letters or digits", nameof(contact));
        Write((connection, transaction) => _dialect.Execute(connection, transaction,
            $"""
             INSERT INTO contacts ({ContactColumns}) VALUES (@plate, @name, @phone, @company, @note, @by, @at)
             ON CONFLICT (plate_text) DO UPDATE SET name = excluded.name, phone = excluded.phone, company = excluded.company,
                 note = excluded.note, updated_by = excluded.updated_by, updated_at = excluded.updated_at
             """,
            ("@plate", Col.Text, plate), ("@name", Col.Text, contact.Name), ("@phone", Col.Text, contact.Phone),
            ("@company", Col.Text, contact.Company), ("@note", Col.Text, contact.Note), ("@by", Col.Text, contact.UpdatedBy),
            ("@at", Col.Time, contact.UpdatedAt)));
    }

    /// <summary>Removes a plate's contact; false when there was none.</summary>
    public bool DeleteContact(string plate) =>
        Write((connection, transaction) => _dialect.Execute(connection, transaction,
            "DELETE FROM contacts WHERE plate_text = @plate", ("@plate", Col.Text, PlateKey.Of(plate)))) == 1;

    public void AddContactAttempt(Guid alarmId, string actor, string outcome, string? note, DateTimeOffset at) =>
        Write((connection, transaction) => _dialect.Execute(connection, transaction,
            "INSERT INTO contact_attempts (alarm_id, at, actor, outcome, note) VALUES (@alarm, @at, @actor, @outcome, @note)",
            ("@alarm", Col.Uuid, alarmId), ("@at", Col.Time, at), ("@actor", Col.Text, actor), ("@outcome", Col.Text, outcome), ("@note", Col.Text, note)));

    /// <summary>Attempts made about one alarm, oldest first.</summary>
    public IReadOnlyList<ContactAttempt> ContactAttempts(Guid alarmId) =>
        Query("SELECT id, alarm_id, at, actor, outcome, note FROM contact_attempts WHERE alarm_id = @alarm ORDER BY at, id",
            r => new ContactAttempt(r.GetInt64(0), r.GetGuid(1), _dialect.ReadTime(r, 2), r.GetString(3), r.GetString(4), NullableString(r, 5)),
            ("@alarm", Col.Uuid, alarmId));

    private DriverContact ReadContact(DbDataReader r) => new()
    {
        Plate = r.GetString(0), Name = r.GetString(1), Phone = r.GetString(2), Company = NullableString(r, 3), Note = NullableString(r, 4),
        UpdatedBy = r.GetString(5), UpdatedAt = _dialect.ReadTime(r, 6),
    };
}
