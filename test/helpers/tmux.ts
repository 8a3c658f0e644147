/**
 * Drives the real shell in a real terminal: a tmux session on a private
 * socket, keys sent with send-keys, the screen read with capture-pane.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const PROMPT = /\[\d+\] contrast> /;

export interface ShellProcess {
  /** extra environment; CONTRAST_DATA_DIR defaults to a fresh temporary directory */
  env?: Record<string, string>;
  /** the command line, by default the shell on the simulated beamline */
  command?: string[];
}

/** Printed by the pane's sh once the shell has ended (tmux's own pane_dead_status is not always filled in). */
const EXITED = /^\[exited (\d+)\]$/m;

export class TmuxShell {
  private constructor(readonly socket: string, readonly dataDir: string, private readonly ownsDataDir: boolean) {}

  static start(opts: ShellProcess = {}): TmuxShell {
    const dataDir = opts.env?.CONTRAST_DATA_DIR ?? mkdtempSync(join(tmpdir(), "contrast-shell-"));
    // a private server: its socket lives in a directory of its own, removed by kill()
    const socket = join(mkdtempSync(join(tmpdir(), "contrast-tmux-")), "socket");
    const command = opts.command ?? ["node", "bin/contrast.js", "beamlines/sim.ts"];
    const shell = new TmuxShell(socket, dataDir, opts.env?.CONTRAST_DATA_DIR === undefined);
    // the remote control's runtime file (tokens) goes beside the data, never to the real ~/.contrast
    const env: NodeJS.ProcessEnv = { ...process.env, CONTRAST_HISTORY: join(dataDir, "history"), CONTRAST_REMOTE_FILE: join(dataDir, "remote.json"), ...opts.env, CONTRAST_DATA_DIR: dataDir };
    delete env.TMUX;
    shell.tmux(["-f", "/dev/null", "new-session", "-d", "-x", "200", "-y", "50", "-s", "t", "-c", ROOT,
      // sh outlives the shell to tell its exit status; a Ctrl-C that reaches it as a signal must not end it
      "sh", "-c", 'trap : INT; "$@"; echo "[exited $?]"; exec sleep 600', "sh", ...command], env);
    return shell;
  }

  private tmux(args: string[], env: NodeJS.ProcessEnv = process.env): string {
    return execFileSync("tmux", ["-S", this.socket, ...args], { encoding: "utf8", env });
  }

  /** Named keys (Enter, Tab, C-c, C-d, Up, Left, Escape, ...). */
  keys(...keys: string[]): void {
    this.tmux(["send-keys", "-t", "t", ...keys]);
  }

  /** Literal text, then Enter unless told otherwise. */
  type(text: string, enter = true): void {
    this.tmux(["send-keys", "-t", "t", "-l", text]);
    if (enter) this.keys("Enter");
  }

  /** The whole screen and its scroll-back, wrapped lines joined. */
  screen(): string {
    return this.tmux(["capture-pane", "-p", "-J", "-S", "-", "-t", "t"]);
  }

  /** The exit status once the shell has ended, else null. */
  exitStatus(): number | null {
    const m = EXITED.exec(this.screen());
    return m ? Number(m[1]) : null;
  }

  /** Polls the screen until `test` holds; the error shows the screen if it never does. */
  async waitFor(test: RegExp | ((screen: string) => boolean), what = String(test), timeoutMs = 60_000): Promise<string> {
    const ok = typeof test === "function" ? test : (s: string) => test.test(s);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = this.screen();
      if (ok(s)) return s;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen:\n${s}`);
      await sleep(50);
    }
  }

  /** How often `pattern` occurs on the screen (and scroll-back). */
  count(pattern: RegExp): number {
    return [...this.screen().matchAll(new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : pattern.flags + "g"))].length;
  }

  /** Waits for one more prompt than `before` prompts: the line typed has been answered. */
  async waitForPrompt(before: number, timeoutMs = 60_000): Promise<string> {
    return this.waitFor((s) => (s.match(new RegExp(PROMPT.source, "g"))?.length ?? 0) > before, "the next prompt", timeoutMs);
  }

  prompts(): number {
    return this.count(PROMPT);
  }

  /** Types a line and waits until the shell prompts again; returns the screen. */
  async run(line: string, timeoutMs = 60_000): Promise<string> {
    const before = this.prompts();
    this.type(line);
    return this.waitForPrompt(before, timeoutMs);
  }

  async waitForExit(timeoutMs = 60_000): Promise<number> {
    await this.waitFor(() => this.exitStatus() !== null, "the shell to exit", timeoutMs);
    return this.exitStatus() as number;
  }

  /** The process running in the terminal (the sh that starts the command). */
  panePid(): number {
    return Number(this.tmux(["display-message", "-p", "-t", "t", "#{pane_pid}"]).trim());
  }

  /** Closes the terminal, as when an ssh connection drops: its processes get SIGHUP. */
  hangUp(): void {
    this.tmux(["kill-server"]);
  }

  /** Ends the shell and its tmux server, and removes what start() made. */
  kill(): void {
    try {
      this.tmux(["kill-server"]);
    } catch {
      // already gone
    }
    rmSync(dirname(this.socket), { recursive: true, force: true });
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}
