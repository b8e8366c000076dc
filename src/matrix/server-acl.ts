// Server access control lists (spec: server-server "Server Access Control Lists (ACLs)").
import type { JsonObject } from './types';

function globToRegExp(glob: string): RegExp {
  const source = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i');
}

/** Whether `serverName` may take part in a room with this m.room.server_acl content (none: all may). */
export function serverAllowedByAcl(content: JsonObject | undefined, serverName: string): boolean {
  if (!content) return true;
  // The port is not part of the name ACLs match.
  const host = serverName.startsWith('[') ? serverName.slice(0, serverName.indexOf(']') + 1) : serverName.replace(/:\d+$/, '');
  if (content.allow_ip_literals === false && (host.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host))) return false;
  const deny = Array.isArray(content.deny) ? content.deny.filter((d): d is string => typeof d === 'string') : [];
  if (deny.some((d) => globToRegExp(d).test(host))) return false;
  const allow = Array.isArray(content.allow) ? content.allow.filter((a): a is string => typeof a === 'string') : [];
  return allow.some((a) => globToRegExp(a).test(host));
}
