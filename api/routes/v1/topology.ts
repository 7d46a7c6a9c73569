import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { TopologyReader } from '../../../ingest/topology/topology.service.ts';
import { decodeCursor, encodeCursor, NextCursor, pageQuery } from '../../paging.ts';
import { problemResponses } from '../../openapi.ts';

const WeatherSource = z.union([z.string(), z.array(z.object({ station: z.string(), weight: z.number() }))]);

export const NodeView = z.object({
  id: z.string(),
  parent: z.string().nullable(),
  kind: z.enum(['load', 'generation', 'flow', 'weather']),
  unit: z.string(),
  timeZone: z.string().describe('IANA zone: a date given for this series is a local day of it.'),
  weatherStation: WeatherSource.nullable().describe('Where its temperature comes from: a station, weighted stations, or "mean".'),
  name: z.string().nullable(),
  children: z.array(z.string()).describe('Nodes whose values sum into this one.'),
  derived: z.boolean().describe('A series gridcast derives (PV estimate, consumption, balance), outside the sums.'),
  sharing: z.object({ substations: z.array(z.string()), allocation: z.enum(['average', 'worst-case']).optional() }).nullable().describe('A moving load: the substations it draws from.'),
  attrs: z.record(z.string(), z.unknown()).describe('Other attributes: pvCapacity, netLoad, range, site, stepSec, latitude, …'),
});

const NodeParams = z.object({ id: z.string().min(1) });
const Cursor = z.object({ after: z.string() });

export const SummingStructure = z.object({
  root: z.string(),
  bottom: z.array(z.string()).describe('The bottom series, depth first (the columns of the summing matrix S).'),
  aggregates: z.array(z.object({ id: z.string(), bottom: z.array(z.string()) })).describe('Each aggregate, top-down, with the bottom series that sum into it.'),
});

/** GET /topology/nodes, /topology/nodes/{id}, /topology/nodes/{id}/children, /topology/summing. */
export const topologyRoutes = (topology: TopologyReader): FastifyPluginAsyncZod =>
  async function topologyV1(app) {
    const tags = ['topology'];
    const config = { role: 'viewer' as const };
    const noNode = problemResponses({ 404: 'No stored node has this id (SERIES_NOT_FOUND)' });

    app.get(
      '/topology/nodes',
      { config, schema: { summary: 'Every stored node, by id', tags, querystring: pageQuery(), response: { 200: z.object({ nodes: z.array(NodeView), nextCursor: NextCursor }) } } },
      async (req) => {
        const { limit, cursor } = req.query;
        const after = cursor ? decodeCursor(cursor, Cursor).after : null;
        const all = (await topology.nodes()).filter((n) => after === null || n.id > after);
        const nodes = all.slice(0, limit);
        return { nodes, nextCursor: all.length > limit ? encodeCursor({ after: nodes[nodes.length - 1].id }) : null };
      },
    );

    app.get(
      '/topology/nodes/:id',
      { config, schema: { summary: 'One node', tags, params: NodeParams, response: { 200: NodeView, ...noNode } } },
      async (req) => topology.node(req.params.id),
    );

    app.get(
      '/topology/nodes/:id/children',
      { config, schema: { summary: "A node's children (the nodes that sum into it)", tags, params: NodeParams, response: { 200: z.object({ id: z.string(), children: z.array(NodeView) }), ...noNode } } },
      async (req) => {
        const node = await topology.node(req.params.id);
        const byId = new Map((await topology.nodes()).map((n) => [n.id, n]));
        return { id: node.id, children: node.children.map((c) => byId.get(c)!) };
      },
    );

    app.get(
      '/topology/summing',
      {
        config,
        schema: {
          summary: 'The summing structure: for each aggregate, the bottom series that sum into it',
          tags,
          querystring: z.object({ root: z.string().min(1).optional().describe('Default: the one hierarchy of the store.') }),
          response: { 200: SummingStructure, ...problemResponses({ 404: 'No stored node is this root (SERIES_NOT_FOUND)' }) },
        },
      },
      async (req) => topology.summing(req.query.root),
    );
  };
