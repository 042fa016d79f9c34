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
    "\n  query Viewer {\n    viewer {\n      role\n      principal { id name }\n      tenant { id slug }\n      tenantsServed { id slug }\n    }\n  }\n": typeof types.ViewerDocument,
    "\n  mutation Ingest($input: IngestIncidentInput!) {\n    ingestIncident(input: $input) {\n      created\n      incident { id number title version status severity priorityScore alerts { totalCount } devices { id name } }\n      errors { code message field }\n    }\n  }\n": typeof types.IngestDocument,
    "\n  query Queue($filter: IncidentFilter, $orderBy: IncidentOrder, $first: Int, $after: String, $last: Int, $before: String) {\n    incidents(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {\n      totalCount\n      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }\n      edges { cursor node { id number title severity status priorityScore updatedAt createdAt tags systemTags assignment tenant { slug } } }\n    }\n  }\n": typeof types.QueueDocument,
    "\n  query NestedQueue($first: Int) {\n    incidents(first: $first) {\n      nodes {\n        id number title\n        assignee { id name }\n        tenant { id name }\n        devices { id name healthStatus isolated }\n        alerts(first: 10) {\n          nodes { id title severity evidence { kind value device { id name } file { id fileName } } }\n        }\n      }\n    }\n  }\n": typeof types.NestedQueueDocument,
    "\n  mutation UpdateIncident($input: UpdateIncidentInput!) {\n    updateIncident(input: $input) {\n      incident { id version tags severity assignment assignee { id } priorityScore }\n      errors { code message field }\n    }\n  }\n": typeof types.UpdateIncidentDocument,
    "\n  mutation AddComment($input: AddCommentInput!) {\n    addComment(input: $input) {\n      incident { id version comments(first: 50) { totalCount nodes { body author { name } } } }\n      errors { code message field }\n    }\n  }\n": typeof types.AddCommentDocument,
    "\n  query IncidentActivity($id: ID!) {\n    node(id: $id) {\n      ... on Incident {\n        id version\n        activity(first: 100) { totalCount nodes { field from to actor { id } actorSide } }\n      }\n    }\n  }\n": typeof types.IncidentActivityDocument,
    "\n  query NodeById($id: ID!) {\n    node(id: $id) { id __typename }\n  }\n": typeof types.NodeByIdDocument,
    "\n  query Summary($tenantId: ID) {\n    managedResponseSummary(tenantId: $tenantId) { awaitingCustomerAction investigating }\n  }\n": typeof types.SummaryDocument,
};
const documents: Documents = {
    "\n  query Viewer {\n    viewer {\n      role\n      principal { id name }\n      tenant { id slug }\n      tenantsServed { id slug }\n    }\n  }\n": types.ViewerDocument,
    "\n  mutation Ingest($input: IngestIncidentInput!) {\n    ingestIncident(input: $input) {\n      created\n      incident { id number title version status severity priorityScore alerts { totalCount } devices { id name } }\n      errors { code message field }\n    }\n  }\n": types.IngestDocument,
    "\n  query Queue($filter: IncidentFilter, $orderBy: IncidentOrder, $first: Int, $after: String, $last: Int, $before: String) {\n    incidents(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {\n      totalCount\n      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }\n      edges { cursor node { id number title severity status priorityScore updatedAt createdAt tags systemTags assignment tenant { slug } } }\n    }\n  }\n": types.QueueDocument,
    "\n  query NestedQueue($first: Int) {\n    incidents(first: $first) {\n      nodes {\n        id number title\n        assignee { id name }\n        tenant { id name }\n        devices { id name healthStatus isolated }\n        alerts(first: 10) {\n          nodes { id title severity evidence { kind value device { id name } file { id fileName } } }\n        }\n      }\n    }\n  }\n": types.NestedQueueDocument,
    "\n  mutation UpdateIncident($input: UpdateIncidentInput!) {\n    updateIncident(input: $input) {\n      incident { id version tags severity assignment assignee { id } priorityScore }\n      errors { code message field }\n    }\n  }\n": types.UpdateIncidentDocument,
    "\n  mutation AddComment($input: AddCommentInput!) {\n    addComment(input: $input) {\n      incident { id version comments(first: 50) { totalCount nodes { body author { name } } } }\n      errors { code message field }\n    }\n  }\n": types.AddCommentDocument,
    "\n  query IncidentActivity($id: ID!) {\n    node(id: $id) {\n      ... on Incident {\n        id version\n        activity(first: 100) { totalCount nodes { field from to actor { id } actorSide } }\n      }\n    }\n  }\n": types.IncidentActivityDocument,
    "\n  query NodeById($id: ID!) {\n    node(id: $id) { id __typename }\n  }\n": types.NodeByIdDocument,
    "\n  query Summary($tenantId: ID) {\n    managedResponseSummary(tenantId: $tenantId) { awaitingCustomerAction investigating }\n  }\n": types.SummaryDocument,
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

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;