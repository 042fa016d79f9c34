// Global ids ("Typename:localId" in base64, as @pothos/plugin-relay writes them): the GraphQL
// layer, notification links and webhook payloads name objects the same way.
const ASCII = /^[\x00-\x7f]*$/;

export function encodeGlobalId(typename: string, id: string | number | bigint): string {
  const text = `${typename}:${String(id)}`;
  return ASCII.test(text) ? btoa(text) : Buffer.from(text, 'utf8').toString('base64');
}
