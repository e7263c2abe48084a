// Types for the shared plain-JS page and room.
import type { GateEvent, HostPolicy } from '@wsgate/core';
import type { WebSocket } from 'ws';

export function loginPage(): string;
export function chatPage(user: string): string;
export function parseSay(data: unknown): string | undefined;
export interface Room {
  join(socket: WebSocket, user: string, protocol: string | undefined, transport: string): void;
  readonly size: number;
}
export function createRoom(): Room;
export function transportOf(request: { httpVersionMajor: number }): 'h2' | 'http/1.1';
export function listenAddress(env?: NodeJS.ProcessEnv): { host: string; port: number };
export function exampleHosts(listenHost: string): HostPolicy;
export function logHandshake(event: GateEvent): void;
export function sessionSecret(env?: NodeJS.ProcessEnv): string;
