/** What a signed-in person may do in the web console (console/): read, run sweeps, or administer. */
export const consoleRoles = ['viewer', 'operator', 'admin'] as const;
export type ConsoleRole = (typeof consoleRoles)[number];
