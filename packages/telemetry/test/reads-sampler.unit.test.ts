import { createHash } from 'node:crypto';
import { ReadsSampler } from '@cqrs-shop/telemetry';
import { ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';

/** 400 trace ids spread as random ones are (fixed, so the counts below never change). */
const traceIds = Array.from({ length: 400 }, (_, i) =>
  createHash('sha256').update(String(i)).digest('hex').slice(0, 32),
);

/** How many of 400 traces the sampler keeps for spans of this kind, method and parent. */
function kept(
  sampler: ReadsSampler,
  kind: SpanKind,
  method: string,
  parent: 'none' | 'sampled' = 'none',
): number {
  const context =
    parent === 'none'
      ? ROOT_CONTEXT
      : trace.setSpanContext(ROOT_CONTEXT, {
          traceId: 'a'.repeat(32),
          spanId: 'b'.repeat(16),
          traceFlags: TraceFlags.SAMPLED,
          isRemote: true,
        });
  return traceIds.filter(
    (traceId) =>
      sampler.shouldSample(context, traceId, method, kind, { 'http.request.method': method }, []).decision ===
      SamplingDecision.RECORD_AND_SAMPLED,
  ).length;
}

describe('the reads sampler', () => {
  const others = new ParentBasedSampler({ root: new AlwaysOnSampler() });

  it('keeps about its share of the traces that reads start', () => {
    const sampler = new ReadsSampler(0.1, others);
    expect(kept(sampler, SpanKind.SERVER, 'GET')).toBeGreaterThan(20);
    expect(kept(sampler, SpanKind.SERVER, 'GET')).toBeLessThan(60);
    expect(kept(sampler, SpanKind.SERVER, 'HEAD')).toBeLessThan(60);
    expect(kept(new ReadsSampler(0, others), SpanKind.SERVER, 'GET')).toBe(0);
    expect(kept(new ReadsSampler(1, others), SpanKind.SERVER, 'GET')).toBe(400);
  });

  it('keeps no more reads than the configured sampler would', () => {
    expect(kept(new ReadsSampler(1, new AlwaysOffSampler()), SpanKind.SERVER, 'GET')).toBe(0);
    const tenth = new TraceIdRatioBasedSampler(0.1);
    expect(kept(new ReadsSampler(0.5, tenth), SpanKind.SERVER, 'GET')).toBe(
      kept(new ReadsSampler(1, tenth), SpanKind.SERVER, 'GET'),
    );
  });

  it('leaves commands, a read continuing a sampled trace and outgoing requests to the configured sampler', () => {
    const sampler = new ReadsSampler(0, others);
    expect(kept(sampler, SpanKind.SERVER, 'POST')).toBe(400);
    expect(kept(sampler, SpanKind.SERVER, 'GET', 'sampled')).toBe(400);
    expect(kept(sampler, SpanKind.CLIENT, 'GET')).toBe(400);
  });
});
