/** `{ key, cert }` in PEM for localhost, 127.0.0.1 and ::1, made once per process. */
export function testCredentials(): Promise<{ key: string; cert: string }>;
