using System.Security.Claims;

namespace Tunnel.WebConsole.Security;

public static class Roles
{
    public const string Operator = "operator";
    public const string Maintenance = "maintenance";
    public const string Manager = "manager";
    public const string Admin = "admin";
    public static readonly IReadOnlyList<string> All = [Operator, Maintenance, Manager, Admin];

    /// <summary>An extra claim that lets a manager see plates (personal data).</summary>
    public const string PlatesClaim = "plates";
    public const string PermissionClaimType = "tunnel:permission";

    /// <summary>Operators handle vehicles by plate; admins see everything; anyone else needs the grant.</summary>
    public static bool CanSeePlates(ClaimsPrincipal user) =>
        user.IsInRole(Operator) || user.IsInRole(Admin) || user.HasClaim(PermissionClaimType, PlatesClaim);
}

/// <summary>Authorization policies by what a person does, each a set of roles.</summary>
public static class Policies
{
    /// <summary>See the live wall (managers with plates masked).</summary>
    public const string Watch = "watch";
    /// <summary>Act on alarms.</summary>
    public const string Act = "act";
    public const string Maintain = "maintain";
    public const string Reports = "reports";
    public const string Administer = "administer";
    /// <summary>See personal data of one vehicle (a snapshot): any role that may see plates.</summary>
    public const string SeePlates = "see-plates";
    /// <summary>Any logged-in user (their own account).</summary>
    public const string SignedIn = "signed-in";
    /// <summary>Look into one alarm's vehicle (its history): the wall's roles, and only with plates visible.</summary>
    public const string Investigate = "investigate";

    public static readonly IReadOnlyDictionary<string, string[]> RolesOf = new Dictionary<string, string[]>
    {
        [Watch] = [Roles.Operator, Roles.Manager, Roles.Admin],
        [Act] = [Roles.Operator, Roles.Admin],
        [Maintain] = [Roles.Maintenance, Roles.Admin],
        [Reports] = [Roles.Manager, Roles.Admin],
        [Administer] = [Roles.Admin],
    };
}
