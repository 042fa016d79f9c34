// Operations the API tests share, typed by graphql-codegen (npm run codegen).
import { graphql } from './generated';

export const ViewerQuery = graphql(`
  query Viewer {
    viewer {
      role
      principal { id name }
      tenant { id slug }
      tenantsServed { id slug }
    }
  }
`);

export const IngestMutation = graphql(`
  mutation Ingest($input: IngestIncidentInput!) {
    ingestIncident(input: $input) {
      created
      incident { id number title version status severity priorityScore alerts { totalCount } devices { id name } }
      errors { code message field }
    }
  }
`);

export const QueueQuery = graphql(`
  query Queue($filter: IncidentFilter, $orderBy: IncidentOrder, $first: Int, $after: String, $last: Int, $before: String) {
    incidents(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id number title severity status priorityScore updatedAt createdAt tags systemTags assignment tenant { slug } } }
    }
  }
`);

export const NestedQueueQuery = graphql(`
  query NestedQueue($first: Int) {
    incidents(first: $first) {
      nodes {
        id number title
        assignee { id name }
        tenant { id name }
        devices { id name healthStatus isolated }
        alerts(first: 10) {
          nodes { id title severity evidence { kind value device { id name } file { id fileName } } }
        }
      }
    }
  }
`);

export const UpdateIncidentMutation = graphql(`
  mutation UpdateIncident($input: UpdateIncidentInput!) {
    updateIncident(input: $input) {
      incident { id version tags severity assignment assignee { id } priorityScore }
      errors { code message field }
    }
  }
`);

export const AddCommentMutation = graphql(`
  mutation AddComment($input: AddCommentInput!) {
    addComment(input: $input) {
      incident { id version comments(first: 50) { totalCount nodes { body author { name } } } }
      errors { code message field }
    }
  }
`);

export const IncidentActivityQuery = graphql(`
  query IncidentActivity($id: ID!) {
    node(id: $id) {
      ... on Incident {
        id version
        activity(first: 100) { totalCount nodes { field from to actor { id } actorSide } }
      }
    }
  }
`);

export const NodeQuery = graphql(`
  query NodeById($id: ID!) {
    node(id: $id) { id __typename }
  }
`);

export const SummaryQuery = graphql(`
  query Summary($tenantId: ID) {
    managedResponseSummary(tenantId: $tenantId) { awaitingCustomerAction investigating }
  }
`);
