// The `pos` of simplified sliding sync: the stream positions a response runs up to, as in /sync
// tokens, and the position of the connection's state (what it has sent) stored with the user.
// `s<events>_<misc>_<typing>_<connection>`: the leading `s<events>` lets /messages take it as a
// `from` (MSC4186: "A pos token can be used in /messages").
import { ErrCode, MatrixError } from '../../matrix/errors';

export interface Pos {
  e: number;
  m: number;
  t: number;
  /** The connection position: which stored state of the connection this response leaves it in. */
  c: number;
}

export function formatPos(p: Pos): string {
  return `s${p.e}_${p.m}_${p.t}_${p.c}`;
}

export const unknownPos = () => new MatrixError(400, ErrCode.UNKNOWN_POS, 'Unknown position');

/** A pos this server never issued is as unknown as an expired one: the client starts afresh. */
export function parsePos(raw: string): Pos {
  const m = /^s(\d{1,15})_(\d{1,15})_(\d{1,15})_(\d{1,15})$/.exec(raw);
  if (!m) throw unknownPos();
  return { e: Number(m[1]), m: Number(m[2]), t: Number(m[3]), c: Number(m[4]) };
}
