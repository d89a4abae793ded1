// The Dockerfile read as Docker reads it, as far as the checks need: its stages and, for each,
// the instructions that decide what a container runs (FROM, USER, EXPOSE, HEALTHCHECK, CMD,
// ENTRYPOINT), with `\` continuations joined and comments dropped.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@cqrs-shop/testing';

export const DOCKERFILE = join(repoRoot, 'Dockerfile');

export interface Stage {
  readonly name: string;
  readonly from: string;
  readonly instructions: { readonly keyword: string; readonly args: string }[];
}

export function readDockerfile(text = readFileSync(DOCKERFILE, 'utf8')): {
  args: Record<string, string>;
  stages: Stage[];
} {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const argsText = rest.join(' ');
    if (keyword === 'FROM') {
      const [from = '', , name = ''] = rest;
      stages.push({ name, from, instructions: [] });
    } else if (stages.length === 0 && keyword === 'ARG') {
      const [name = '', value = ''] = argsText.split('=');
      args[name] = value;
    } else {
      stages.at(-1)?.instructions.push({ keyword, args: argsText });
    }
  }
  return { args, stages };
}

/** The last value of an instruction in a stage or the stages it is built FROM. */
export function effective(stages: readonly Stage[], name: string, keyword: string): string | undefined {
  const stage = stages.find((s) => s.name === name);
  if (stage === undefined) return undefined;
  const own = stage.instructions.filter((i) => i.keyword === keyword).at(-1)?.args;
  return own ?? effective(stages, stage.from, keyword);
}

/** An exec-form (JSON array) instruction's words, after its options; a shell form is refused. */
export function execForm(args: string | undefined): string[] | undefined {
  if (args === undefined) return undefined;
  const start = args.indexOf('[');
  if (start < 0) throw new Error(`not in exec form (signals would go to a shell): ${args}`);
  return JSON.parse(args.slice(start)) as string[];
}
