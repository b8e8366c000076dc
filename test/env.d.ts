// Types the `env` of cloudflare:test as the Worker's own environment.
import type { Env as WorkerEnv } from '../src/config';

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
  }
}
export {};
