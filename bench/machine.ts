import { cpus, freemem, loadavg, platform, release, totalmem } from 'node:os';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly platform: string;
  readonly osRelease: string;
  readonly nodeVersion: string;
  readonly v8Version: string;
  readonly totalMemoryBytes: number;
  readonly freeMemoryBytes: number;
  /** 1, 5 and 15 minute load averages when the run started: a hint of what else was running. */
  readonly loadAverage: readonly number[];
}

export function machineInfo(): MachineInfo {
  const processors = cpus();
  return {
    cpuModel: processors[0]?.model ?? 'unknown',
    cores: processors.length,
    platform: platform(),
    osRelease: release(),
    nodeVersion: process.version,
    v8Version: process.versions.v8,
    totalMemoryBytes: totalmem(),
    freeMemoryBytes: freemem(),
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}
