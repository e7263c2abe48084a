// Types for the shared test steps.
import type { HandshakeExpectation, HandshakeOptions, TestClient, TestTarget } from '@wsgate/testing';

export function browser<Target extends TestTarget>(target: Target, defaults?: HandshakeOptions): TestClient<Target>;
export function loggedIn<Target extends TestTarget>(
  target: Target,
  name: string,
  defaults?: HandshakeOptions,
): Promise<TestClient<Target>>;
export function logOutOneSession(target: TestTarget): Promise<{
  logout: number;
  closes: Array<[number, string]>;
  stillOpen: [number, number];
  replay: HandshakeExpectation;
}>;
export function logInTwice(target: TestTarget): Promise<{
  newId: boolean;
  withFirstCookies: HandshakeExpectation;
  withCurrentCookies: HandshakeExpectation;
}>;
