import type { ScenarioRun, ScenarioSettings } from './scenarios.ts';

/** A system as it ran: its version and how it was configured. */
export interface SystemInfo {
  readonly name: string;
  readonly version: string;
  readonly config: string;
  /** The scenarios it took part in; null for all. */
  readonly scenarios: readonly string[] | null;
}

/** Everything one bench run measured: the raw JSON under `bench/results/`. */
export interface BenchResults {
  readonly date: string;
  readonly command: string;
  /** Git revision of the tree measured. */
  readonly revision: string;
  readonly machine: { readonly cores: number; readonly cpuModel: string; readonly node: string };
  readonly load: {
    /** 1, 5 and 15-minute load averages before the first scenario and after the last. */
    readonly before: readonly number[];
    readonly after: readonly number[];
    /** Seconds spent waiting for the 1-minute load to drop below `threshold`. */
    readonly waitedS: number;
    /** False when the wait ran out and the run went ahead on a loaded machine. */
    readonly quiet: boolean;
    readonly threshold: number;
  };
  readonly settings: ScenarioSettings;
  readonly rounds: number;
  readonly systems: readonly SystemInfo[];
  /** Systems left out, and why. */
  readonly skipped: readonly string[];
  readonly runs: readonly ScenarioRun[];
}
