import { consoleRoles, type ConsoleOidcConfig, type ConsoleRole } from '../config/console-schema';

/** The person an OpenID Connect sign-in names, and the console role the config gives them (none: refused). */
export interface OidcPerson {
  /** Shown in the console and logged with their actions: the e-mail, else the preferred user name, else `sub`. */
  name: string;
  role: ConsoleRole | undefined;
}

const strings = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/**
 * The role of a signed-in person from their claims (the ID token's merged with userinfo): every value of
 * `roleClaim`, and the e-mail address only when the provider says it is verified (an unverified address is
 * whatever the person typed). The highest role any value maps to wins; with no `roles` mapping a claim value
 * that is a role name is that role. Nothing matched: `defaultRole`, or none.
 */
export function oidcPerson(claims: Record<string, unknown>, config: ConsoleOidcConfig): OidcPerson {
  const email = typeof claims['email'] === 'string' ? claims['email'] : undefined;
  const verifiedEmail = email !== undefined && claims['email_verified'] === true ? email.toLowerCase() : undefined;
  const claimValues = config.roleClaim ? strings(claims[config.roleClaim]) : [];
  const name =
    email ?? (typeof claims['preferred_username'] === 'string' ? claims['preferred_username'] : String(claims['sub']));

  const matches = (role: ConsoleRole): boolean => {
    const listed = config.roles?.[role];
    if (!config.roles) return claimValues.includes(role);
    if (!listed) return false;
    return (
      claimValues.some((v) => listed.includes(v)) ||
      (verifiedEmail !== undefined && listed.some((l) => l.toLowerCase() === verifiedEmail))
    );
  };
  // consoleRoles is ordered lowest first: the last match is the highest role.
  const matched = consoleRoles.filter(matches).at(-1);
  return { name, role: matched ?? config.defaultRole };
}
