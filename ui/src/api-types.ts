// The shapes the dashboard reads, derived from the API's own zod schemas: the browser code
// (plain ES modules, checked by tsc through JSDoc) and the server cannot drift apart unnoticed.
import type { z } from 'zod';
import type { NodeView } from '../../api/routes/v1/topology.ts';
import type { ActualValue as ActualValueSchema } from '../../api/routes/v1/actuals.ts';
import type { ForecastValue as ForecastValueSchema } from '../../api/routes/v1/forecasts.ts';
import type { RunMeta as RunMetaSchema } from '../../api/routes/v1/runs.ts';
import type { EventView as EventViewSchema } from '../../api/routes/v1/events.ts';
import type { AccuracyRowView } from '../../api/routes/v1/accuracy.ts';
import type { EffectsView, ModelSummaryView, VersionView } from '../../api/routes/v1/registry.ts';
import type { NodeStatusView } from '../../api/routes/v1/node-status.ts';
import type { ComparisonView, PeriodView, ProposalView } from '../../api/routes/v1/promotion.ts';
import type { SessionView } from '../../api/routes/v1/session.ts';

export type Node = z.infer<typeof NodeView>;
export type ActualValue = z.infer<typeof ActualValueSchema>;
export type ForecastValue = z.infer<typeof ForecastValueSchema>;
export type RunMeta = z.infer<typeof RunMetaSchema>;
export type EventView = z.infer<typeof EventViewSchema>;
export type AccuracyRow = z.infer<typeof AccuracyRowView>;
export type ModelSummary = z.infer<typeof ModelSummaryView>;
export type Version = z.infer<typeof VersionView>;
export type Comparison = z.infer<typeof ComparisonView>;
export type ChampionPeriod = z.infer<typeof PeriodView>;
export type Proposal = z.infer<typeof ProposalView>;
export type NodeStatus = z.infer<typeof NodeStatusView>;
export type Effects = z.infer<typeof EffectsView>;
export type Session = SessionView;
export type Role = SessionView['role'];
