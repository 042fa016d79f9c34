/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query CliViewer {\n    viewer { role principal { name } tenant { slug } tenantsServed { slug } }\n  }\n": typeof types.CliViewerDocument,
    "\n  mutation CrashIngest($input: IngestIncidentInput!) {\n    ingestIncident(input: $input) { created incident { number title } errors { code message } }\n  }\n": typeof types.CrashIngestDocument,
    "\n  query CrashIncidents($after: String) {\n    incidents(first: 100, after: $after, orderBy: { field: CREATED, direction: ASC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { number title externalId }\n    }\n  }\n": typeof types.CrashIncidentsDocument,
    "\n  query DemoOverview($since: DateTime!) {\n    viewer { role tenant { slug } tenantsServed { slug } }\n    incidents(first: 1) { totalCount }\n    live: incidents(first: 1, filter: { createdAfter: $since }) { totalCount }\n    history: incidents(first: 1, filter: { createdBefore: $since }) { totalCount }\n    historyOpen: incidents(first: 1, filter: { createdBefore: $since, status: [ACTIVE, IN_PROGRESS, AWAITING_CUSTOMER_ACTION] }) { totalCount }\n  }\n": typeof types.DemoOverviewDocument,
    "\n  query DemoMetrics($from: DateTime!, $to: DateTime!, $tenantId: ID) {\n    serviceMetrics(from: $from, to: $to, interval: MONTH, tenantId: $tenantId) {\n      buckets { start incidents }\n      totals {\n        incidents breaches\n        bySeverity { key count } byClassification { key count }\n        timeToAcknowledge { count p50 p90 } timeToResolve { count p50 p90 } customerResponseTime { count p50 }\n        actionsByKind { key count } actionsByPerformer { key count }\n      }\n    }\n  }\n": typeof types.DemoMetricsDocument,
    "\n  query DemoActions {\n    responseActions(first: 100) {\n      nodes {\n        kind status incident { number }\n        target { __typename }\n        attempts { result }\n      }\n    }\n    incidents(first: 100) { nodes { title accounts { upn enabled } emailMessages { location } } }\n    tenant { excludedAccounts { upn } }\n    savedViews { name shared }\n    suppressionRules { name hitCount lastHitAt }\n    suppressed: incidents(first: 5, filter: { tags: [\"Suppressed\"] }) { nodes { title status classification } }\n  }\n": typeof types.DemoActionsDocument,
    "\n  query Viewer {\n    viewer {\n      role\n      principal { id name }\n      tenant { id slug }\n      tenantsServed { id slug }\n    }\n  }\n": typeof types.ViewerDocument,
    "\n  mutation Ingest($input: IngestIncidentInput!) {\n    ingestIncident(input: $input) {\n      created\n      incident { id number title version status severity priorityScore alerts { totalCount } devices { id name } }\n      errors { code message field }\n    }\n  }\n": typeof types.IngestDocument,
    "\n  query Queue($filter: IncidentFilter, $orderBy: IncidentOrder, $first: Int, $after: String, $last: Int, $before: String) {\n    incidents(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {\n      totalCount\n      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }\n      edges { cursor node { id number title severity status priorityScore updatedAt createdAt tags systemTags assignment tenant { slug } } }\n    }\n  }\n": typeof types.QueueDocument,
    "\n  query NestedQueue($first: Int) {\n    incidents(first: $first) {\n      nodes {\n        id number title\n        assignee { id name }\n        tenant { id name }\n        devices { id name healthStatus isolated }\n        alerts(first: 10) {\n          nodes { id title severity evidence { kind value device { id name } file { id fileName } } }\n        }\n      }\n    }\n  }\n": typeof types.NestedQueueDocument,
    "\n  mutation UpdateIncident($input: UpdateIncidentInput!) {\n    updateIncident(input: $input) {\n      incident { id version tags severity assignment assignee { id } priorityScore }\n      errors { code message field }\n    }\n  }\n": typeof types.UpdateIncidentDocument,
    "\n  mutation AddComment($input: AddCommentInput!) {\n    addComment(input: $input) {\n      incident { id version comments(first: 50) { totalCount nodes { body author { name } } } }\n      errors { code message field }\n    }\n  }\n": typeof types.AddCommentDocument,
    "\n  query IncidentActivity($id: ID!) {\n    node(id: $id) {\n      ... on Incident {\n        id version\n        activity(first: 100) { totalCount nodes { field from to actor { id } actorSide } }\n      }\n    }\n  }\n": typeof types.IncidentActivityDocument,
    "\n  query NodeById($id: ID!) {\n    node(id: $id) { id __typename }\n  }\n": typeof types.NodeByIdDocument,
    "\n  query Summary($tenantId: ID) {\n    managedResponseSummary(tenantId: $tenantId) { awaitingCustomerAction investigating }\n  }\n": typeof types.SummaryDocument,
    "\n  query NodesByIds($ids: [ID!]!) {\n    nodes(ids: $ids) { id __typename }\n  }\n": typeof types.NodesByIdsDocument,
    "\n  query IncidentByNumber($number: Int!, $tenantId: ID) {\n    incident(number: $number, tenantId: $tenantId) { id number title tenant { id } }\n  }\n": typeof types.IncidentByNumberDocument,
    "\n  query TenantById($id: ID) {\n    tenant(id: $id) { id slug name serviceAccessLevel }\n  }\n": typeof types.TenantByIdDocument,
    "\n  query IncidentDetail($id: ID!) {\n    node(id: $id) {\n      ... on Incident {\n        id number title version severity status assignment classification determination\n        tags systemTags priorityScore updatedAt viewerCanUpdate\n        assignee { id name }\n        tenant { id }\n        devices { id name deviceGroup healthStatus }\n        alerts(first: 100) {\n          totalCount\n          nodes {\n            id externalId title\n            incident { id }\n            evidence { kind value device { id name } file { id fileName sha256 } details { name value } }\n          }\n        }\n        sentinel { status owner classification classificationReason labels }\n      }\n    }\n  }\n": typeof types.IncidentDetailDocument,
    "\n  query IncidentComments($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {\n    node(id: $id) {\n      ... on Incident {\n        id version\n        comments(first: $first, after: $after, last: $last, before: $before) {\n          totalCount\n          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }\n          edges { cursor node { id body createdAt author { id name } } }\n        }\n      }\n    }\n  }\n": typeof types.IncidentCommentsDocument,
    "\n  mutation IngestDetail($input: IngestIncidentInput!) {\n    ingestIncident(input: $input) {\n      created\n      incident {\n        id number title version priorityScore\n        alerts(first: 100) { totalCount nodes { externalId evidence { kind value device { id name } } } }\n        devices { id name deviceGroup osPlatform healthStatus }\n      }\n      errors { code message field }\n    }\n  }\n": typeof types.IngestDetailDocument,
    "\n  query AlertsPage($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {\n    node(id: $id) {\n      ... on Incident {\n        alerts(first: $first, after: $after, last: $last, before: $before) {\n          totalCount\n          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }\n          nodes { externalId }\n        }\n      }\n    }\n  }\n": typeof types.AlertsPageDocument,
    "\n  query ExpertQueue($filter: IncidentFilter, $first: Int) {\n    incidents(filter: $filter, first: $first) {\n      totalCount\n      nodes { id number tenant { id } }\n    }\n  }\n": typeof types.ExpertQueueDocument,
};
const documents: Documents = {
    "\n  query CliViewer {\n    viewer { role principal { name } tenant { slug } tenantsServed { slug } }\n  }\n": types.CliViewerDocument,
    "\n  mutation CrashIngest($input: IngestIncidentInput!) {\n    ingestIncident(input: $input) { created incident { number title } errors { code message } }\n  }\n": types.CrashIngestDocument,
    "\n  query CrashIncidents($after: String) {\n    incidents(first: 100, after: $after, orderBy: { field: CREATED, direction: ASC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { number title externalId }\n    }\n  }\n": types.CrashIncidentsDocument,
    "\n  query DemoOverview($since: DateTime!) {\n    viewer { role tenant { slug } tenantsServed { slug } }\n    incidents(first: 1) { totalCount }\n    live: incidents(first: 1, filter: { createdAfter: $since }) { totalCount }\n    history: incidents(first: 1, filter: { createdBefore: $since }) { totalCount }\n    historyOpen: incidents(first: 1, filter: { createdBefore: $since, status: [ACTIVE, IN_PROGRESS, AWAITING_CUSTOMER_ACTION] }) { totalCount }\n  }\n": types.DemoOverviewDocument,
    "\n  query DemoMetrics($from: DateTime!, $to: DateTime!, $tenantId: ID) {\n    serviceMetrics(from: $from, to: $to, interval: MONTH, tenantId: $tenantId) {\n      buckets { start incidents }\n      totals {\n        incidents breaches\n        bySeverity { key count } byClassification { key count }\n        timeToAcknowledge { count p50 p90 } timeToResolve { count p50 p90 } customerResponseTime { count p50 }\n        actionsByKind { key count } actionsByPerformer { key count }\n      }\n    }\n  }\n": types.DemoMetricsDocument,
    "\n  query DemoActions {\n    responseActions(first: 100) {\n      nodes {\n        kind status incident { number }\n        target { __typename }\n        attempts { result }\n      }\n    }\n    incidents(first: 100) { nodes { title accounts { upn enabled } emailMessages { location } } }\n    tenant { excludedAccounts { upn } }\n    savedViews { name shared }\n    suppressionRules { name hitCount lastHitAt }\n    suppressed: incidents(first: 5, filter: { tags: [\"Suppressed\"] }) { nodes { title status classification } }\n  }\n": types.DemoActionsDocument,
    "\n  query Viewer {\n    viewer {\n      role\n      principal { id name }\n      tenant { id slug }\n      tenantsServed { id slug }\n    }\n  }\n": types.ViewerDocument,
    "\n  mutation Ingest($input: IngestIncidentInput!) {\n    ingestIncident(input: $input) {\n      created\n      incident { id number title version status severity priorityScore alerts { totalCount } devices { id name } }\n      errors { code message field }\n    }\n  }\n": types.IngestDocument,
    "\n  query Queue($filter: IncidentFilter, $orderBy: IncidentOrder, $first: Int, $after: String, $last: Int, $before: String) {\n    incidents(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {\n      totalCount\n      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }\n      edges { cursor node { id number title severity status priorityScore updatedAt createdAt tags systemTags assignment tenant { slug } } }\n    }\n  }\n": types.QueueDocument,
    "\n  query NestedQueue($first: Int) {\n    incidents(first: $first) {\n      nodes {\n        id number title\n        assignee { id name }\n        tenant { id name }\n        devices { id name healthStatus isolated }\n        alerts(first: 10) {\n          nodes { id title severity evidence { kind value device { id name } file { id fileName } } }\n        }\n      }\n    }\n  }\n": types.NestedQueueDocument,
    "\n  mutation UpdateIncident($input: UpdateIncidentInput!) {\n    updateIncident(input: $input) {\n      incident { id version tags severity assignment assignee { id } priorityScore }\n      errors { code message field }\n    }\n  }\n": types.UpdateIncidentDocument,
    "\n  mutation AddComment($input: AddCommentInput!) {\n    addComment(input: $input) {\n      incident { id version comments(first: 50) { totalCount nodes { body author { name } } } }\n      errors { code message field }\n    }\n  }\n": types.AddCommentDocument,
    "\n  query IncidentActivity($id: ID!) {\n    node(id: $id) {\n      ... on Incident {\n        id version\n        activity(first: 100) { totalCount nodes { field from to actor { id } actorSide } }\n      }\n    }\n  }\n": types.IncidentActivityDocument,
    "\n  query NodeById($id: ID!) {\n    node(id: $id) { id __typename }\n  }\n": types.NodeByIdDocument,
    "\n  query Summary($tenantId: ID) {\n    managedResponseSummary(tenantId: $tenantId) { awaitingCustomerAction investigating }\n  }\n": types.SummaryDocument,
    "\n  query NodesByIds($ids: [ID!]!) {\n    nodes(ids: $ids) { id __typename }\n  }\n": types.NodesByIdsDocument,
    "\n  query IncidentByNumber($number: Int!, $tenantId: ID) {\n    incident(number: $number, tenantId: $tenantId) { id number title tenant { id } }\n  }\n": types.IncidentByNumberDocument,
    "\n  query TenantById($id: ID) {\n    tenant(id: $id) { id slug name serviceAccessLevel }\n  }\n": types.TenantByIdDocument,
    "\n  query IncidentDetail($id: ID!) {\n    node(id: $id) {\n      ... on Incident {\n        id number title version severity status assignment classification determination\n        tags systemTags priorityScore updatedAt viewerCanUpdate\n        assignee { id name }\n        tenant { id }\n        devices { id name deviceGroup healthStatus }\n        alerts(first: 100) {\n          totalCount\n          nodes {\n            id externalId title\n            incident { id }\n            evidence { kind value device { id name } file { id fileName sha256 } details { name value } }\n          }\n        }\n        sentinel { status owner classification classificationReason labels }\n      }\n    }\n  }\n": types.IncidentDetailDocument,
    "\n  query IncidentComments($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {\n    node(id: $id) {\n      ... on Incident {\n        id version\n        comments(first: $first, after: $after, last: $last, before: $before) {\n          totalCount\n          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }\n          edges { cursor node { id body createdAt author { id name } } }\n        }\n      }\n    }\n  }\n": types.IncidentCommentsDocument,
    "\n  mutation IngestDetail($input: IngestIncidentInput!) {\n    ingestIncident(input: $input) {\n      created\n      incident {\n        id number title version priorityScore\n        alerts(first: 100) { totalCount nodes { externalId evidence { kind value device { id name } } } }\n        devices { id name deviceGroup osPlatform healthStatus }\n      }\n      errors { code message field }\n    }\n  }\n": types.IngestDetailDocument,
    "\n  query AlertsPage($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {\n    node(id: $id) {\n      ... on Incident {\n        alerts(first: $first, after: $after, last: $last, before: $before) {\n          totalCount\n          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }\n          nodes { externalId }\n        }\n      }\n    }\n  }\n": types.AlertsPageDocument,
    "\n  query ExpertQueue($filter: IncidentFilter, $first: Int) {\n    incidents(filter: $filter, first: $first) {\n      totalCount\n      nodes { id number tenant { id } }\n    }\n  }\n": types.ExpertQueueDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CliViewer {\n    viewer { role principal { name } tenant { slug } tenantsServed { slug } }\n  }\n"): (typeof documents)["\n  query CliViewer {\n    viewer { role principal { name } tenant { slug } tenantsServed { slug } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CrashIngest($input: IngestIncidentInput!) {\n    ingestIncident(input: $input) { created incident { number title } errors { code message } }\n  }\n"): (typeof documents)["\n  mutation CrashIngest($input: IngestIncidentInput!) {\n    ingestIncident(input: $input) { created incident { number title } errors { code message } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CrashIncidents($after: String) {\n    incidents(first: 100, after: $after, orderBy: { field: CREATED, direction: ASC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { number title externalId }\n    }\n  }\n"): (typeof documents)["\n  query CrashIncidents($after: String) {\n    incidents(first: 100, after: $after, orderBy: { field: CREATED, direction: ASC }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { number title externalId }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DemoOverview($since: DateTime!) {\n    viewer { role tenant { slug } tenantsServed { slug } }\n    incidents(first: 1) { totalCount }\n    live: incidents(first: 1, filter: { createdAfter: $since }) { totalCount }\n    history: incidents(first: 1, filter: { createdBefore: $since }) { totalCount }\n    historyOpen: incidents(first: 1, filter: { createdBefore: $since, status: [ACTIVE, IN_PROGRESS, AWAITING_CUSTOMER_ACTION] }) { totalCount }\n  }\n"): (typeof documents)["\n  query DemoOverview($since: DateTime!) {\n    viewer { role tenant { slug } tenantsServed { slug } }\n    incidents(first: 1) { totalCount }\n    live: incidents(first: 1, filter: { createdAfter: $since }) { totalCount }\n    history: incidents(first: 1, filter: { createdBefore: $since }) { totalCount }\n    historyOpen: incidents(first: 1, filter: { createdBefore: $since, status: [ACTIVE, IN_PROGRESS, AWAITING_CUSTOMER_ACTION] }) { totalCount }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DemoMetrics($from: DateTime!, $to: DateTime!, $tenantId: ID) {\n    serviceMetrics(from: $from, to: $to, interval: MONTH, tenantId: $tenantId) {\n      buckets { start incidents }\n      totals {\n        incidents breaches\n        bySeverity { key count } byClassification { key count }\n        timeToAcknowledge { count p50 p90 } timeToResolve { count p50 p90 } customerResponseTime { count p50 }\n        actionsByKind { key count } actionsByPerformer { key count }\n      }\n    }\n  }\n"): (typeof documents)["\n  query DemoMetrics($from: DateTime!, $to: DateTime!, $tenantId: ID) {\n    serviceMetrics(from: $from, to: $to, interval: MONTH, tenantId: $tenantId) {\n      buckets { start incidents }\n      totals {\n        incidents breaches\n        bySeverity { key count } byClassification { key count }\n        timeToAcknowledge { count p50 p90 } timeToResolve { count p50 p90 } customerResponseTime { count p50 }\n        actionsByKind { key count } actionsByPerformer { key count }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DemoActions {\n    responseActions(first: 100) {\n      nodes {\n        kind status incident { number }\n        target { __typename }\n        attempts { result }\n      }\n    }\n    incidents(first: 100) { nodes { title accounts { upn enabled } emailMessages { location } } }\n    tenant { excludedAccounts { upn } }\n    savedViews { name shared }\n    suppressionRules { name hitCount lastHitAt }\n    suppressed: incidents(first: 5, filter: { tags: [\"Suppressed\"] }) { nodes { title status classification } }\n  }\n"): (typeof documents)["\n  query DemoActions {\n    responseActions(first: 100) {\n      nodes {\n        kind status incident { number }\n        target { __typename }\n        attempts { result }\n      }\n    }\n    incidents(first: 100) { nodes { title accounts { upn enabled } emailMessages { location } } }\n    tenant { excludedAccounts { upn } }\n    savedViews { name shared }\n    suppressionRules { name hitCount lastHitAt }\n    suppressed: incidents(first: 5, filter: { tags: [\"Suppressed\"] }) { nodes { title status classification } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Viewer {\n    viewer {\n      role\n      principal { id name }\n      tenant { id slug }\n      tenantsServed { id slug }\n    }\n  }\n"): (typeof documents)["\n  query Viewer {\n    viewer {\n      role\n      principal { id name }\n      tenant { id slug }\n      tenantsServed { id slug }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Ingest($input: IngestIncidentInput!) {\n    ingestIncident(input: $input) {\n      created\n      incident { id number title version status severity priorityScore alerts { totalCount } devices { id name } }\n      errors { code message field }\n    }\n  }\n"): (typeof documents)["\n  mutation Ingest($input: IngestIncidentInput!) {\n    ingestIncident(input: $input) {\n      created\n      incident { id number title version status severity priorityScore alerts { totalCount } devices { id name } }\n      errors { code message field }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Queue($filter: IncidentFilter, $orderBy: IncidentOrder, $first: Int, $after: String, $last: Int, $before: String) {\n    incidents(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {\n      totalCount\n      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }\n      edges { cursor node { id number title severity status priorityScore updatedAt createdAt tags systemTags assignment tenant { slug } } }\n    }\n  }\n"): (typeof documents)["\n  query Queue($filter: IncidentFilter, $orderBy: IncidentOrder, $first: Int, $after: String, $last: Int, $before: String) {\n    incidents(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {\n      totalCount\n      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }\n      edges { cursor node { id number title severity status priorityScore updatedAt createdAt tags systemTags assignment tenant { slug } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query NestedQueue($first: Int) {\n    incidents(first: $first) {\n      nodes {\n        id number title\n        assignee { id name }\n        tenant { id name }\n        devices { id name healthStatus isolated }\n        alerts(first: 10) {\n          nodes { id title severity evidence { kind value device { id name } file { id fileName } } }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query NestedQueue($first: Int) {\n    incidents(first: $first) {\n      nodes {\n        id number title\n        assignee { id name }\n        tenant { id name }\n        devices { id name healthStatus isolated }\n        alerts(first: 10) {\n          nodes { id title severity evidence { kind value device { id name } file { id fileName } } }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateIncident($input: UpdateIncidentInput!) {\n    updateIncident(input: $input) {\n      incident { id version tags severity assignment assignee { id } priorityScore }\n      errors { code message field }\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateIncident($input: UpdateIncidentInput!) {\n    updateIncident(input: $input) {\n      incident { id version tags severity assignment assignee { id } priorityScore }\n      errors { code message field }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AddComment($input: AddCommentInput!) {\n    addComment(input: $input) {\n      incident { id version comments(first: 50) { totalCount nodes { body author { name } } } }\n      errors { code message field }\n    }\n  }\n"): (typeof documents)["\n  mutation AddComment($input: AddCommentInput!) {\n    addComment(input: $input) {\n      incident { id version comments(first: 50) { totalCount nodes { body author { name } } } }\n      errors { code message field }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query IncidentActivity($id: ID!) {\n    node(id: $id) {\n      ... on Incident {\n        id version\n        activity(first: 100) { totalCount nodes { field from to actor { id } actorSide } }\n      }\n    }\n  }\n"): (typeof documents)["\n  query IncidentActivity($id: ID!) {\n    node(id: $id) {\n      ... on Incident {\n        id version\n        activity(first: 100) { totalCount nodes { field from to actor { id } actorSide } }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query NodeById($id: ID!) {\n    node(id: $id) { id __typename }\n  }\n"): (typeof documents)["\n  query NodeById($id: ID!) {\n    node(id: $id) { id __typename }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Summary($tenantId: ID) {\n    managedResponseSummary(tenantId: $tenantId) { awaitingCustomerAction investigating }\n  }\n"): (typeof documents)["\n  query Summary($tenantId: ID) {\n    managedResponseSummary(tenantId: $tenantId) { awaitingCustomerAction investigating }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query NodesByIds($ids: [ID!]!) {\n    nodes(ids: $ids) { id __typename }\n  }\n"): (typeof documents)["\n  query NodesByIds($ids: [ID!]!) {\n    nodes(ids: $ids) { id __typename }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query IncidentByNumber($number: Int!, $tenantId: ID) {\n    incident(number: $number, tenantId: $tenantId) { id number title tenant { id } }\n  }\n"): (typeof documents)["\n  query IncidentByNumber($number: Int!, $tenantId: ID) {\n    incident(number: $number, tenantId: $tenantId) { id number title tenant { id } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TenantById($id: ID) {\n    tenant(id: $id) { id slug name serviceAccessLevel }\n  }\n"): (typeof documents)["\n  query TenantById($id: ID) {\n    tenant(id: $id) { id slug name serviceAccessLevel }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query IncidentDetail($id: ID!) {\n    node(id: $id) {\n      ... on Incident {\n        id number title version severity status assignment classification determination\n        tags systemTags priorityScore updatedAt viewerCanUpdate\n        assignee { id name }\n        tenant { id }\n        devices { id name deviceGroup healthStatus }\n        alerts(first: 100) {\n          totalCount\n          nodes {\n            id externalId title\n            incident { id }\n            evidence { kind value device { id name } file { id fileName sha256 } details { name value } }\n          }\n        }\n        sentinel { status owner classification classificationReason labels }\n      }\n    }\n  }\n"): (typeof documents)["\n  query IncidentDetail($id: ID!) {\n    node(id: $id) {\n      ... on Incident {\n        id number title version severity status assignment classification determination\n        tags systemTags priorityScore updatedAt viewerCanUpdate\n        assignee { id name }\n        tenant { id }\n        devices { id name deviceGroup healthStatus }\n        alerts(first: 100) {\n          totalCount\n          nodes {\n            id externalId title\n            incident { id }\n            evidence { kind value device { id name } file { id fileName sha256 } details { name value } }\n          }\n        }\n        sentinel { status owner classification classificationReason labels }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query IncidentComments($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {\n    node(id: $id) {\n      ... on Incident {\n        id version\n        comments(first: $first, after: $after, last: $last, before: $before) {\n          totalCount\n          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }\n          edges { cursor node { id body createdAt author { id name } } }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query IncidentComments($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {\n    node(id: $id) {\n      ... on Incident {\n        id version\n        comments(first: $first, after: $after, last: $last, before: $before) {\n          totalCount\n          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }\n          edges { cursor node { id body createdAt author { id name } } }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation IngestDetail($input: IngestIncidentInput!) {\n    ingestIncident(input: $input) {\n      created\n      incident {\n        id number title version priorityScore\n        alerts(first: 100) { totalCount nodes { externalId evidence { kind value device { id name } } } }\n        devices { id name deviceGroup osPlatform healthStatus }\n      }\n      errors { code message field }\n    }\n  }\n"): (typeof documents)["\n  mutation IngestDetail($input: IngestIncidentInput!) {\n    ingestIncident(input: $input) {\n      created\n      incident {\n        id number title version priorityScore\n        alerts(first: 100) { totalCount nodes { externalId evidence { kind value device { id name } } } }\n        devices { id name deviceGroup osPlatform healthStatus }\n      }\n      errors { code message field }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AlertsPage($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {\n    node(id: $id) {\n      ... on Incident {\n        alerts(first: $first, after: $after, last: $last, before: $before) {\n          totalCount\n          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }\n          nodes { externalId }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query AlertsPage($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {\n    node(id: $id) {\n      ... on Incident {\n        alerts(first: $first, after: $after, last: $last, before: $before) {\n          totalCount\n          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }\n          nodes { externalId }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ExpertQueue($filter: IncidentFilter, $first: Int) {\n    incidents(filter: $filter, first: $first) {\n      totalCount\n      nodes { id number tenant { id } }\n    }\n  }\n"): (typeof documents)["\n  query ExpertQueue($filter: IncidentFilter, $first: Int) {\n    incidents(filter: $filter, first: $first) {\n      totalCount\n      nodes { id number tenant { id } }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;