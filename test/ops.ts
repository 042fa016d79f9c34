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

// ---- API suite for the foundation issue (authz, pagination, filters, edits, ingest, limits) ----

export const NodesQuery = graphql(`
  query NodesByIds($ids: [ID!]!) {
    nodes(ids: $ids) { id __typename }
  }
`);

export const IncidentByNumberQuery = graphql(`
  query IncidentByNumber($number: Int!, $tenantId: ID) {
    incident(number: $number, tenantId: $tenantId) { id number title tenant { id } }
  }
`);

export const TenantQuery = graphql(`
  query TenantById($id: ID) {
    tenant(id: $id) { id slug name serviceAccessLevel }
  }
`);

export const IncidentDetailQuery = graphql(`
  query IncidentDetail($id: ID!) {
    node(id: $id) {
      ... on Incident {
        id number title version severity status assignment classification determination
        tags systemTags priorityScore updatedAt viewerCanUpdate
        assignee { id name }
        tenant { id }
        devices { id name deviceGroup healthStatus }
        alerts(first: 100) {
          totalCount
          nodes {
            id externalId title
            incident { id }
            evidence { kind value device { id name } file { id fileName sha256 } details { name value } }
          }
        }
        sentinel { status owner classification classificationReason labels }
      }
    }
  }
`);

export const IncidentCommentsQuery = graphql(`
  query IncidentComments($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
    node(id: $id) {
      ... on Incident {
        id version
        comments(first: $first, after: $after, last: $last, before: $before) {
          totalCount
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          edges { cursor node { id body createdAt author { id name } } }
        }
      }
    }
  }
`);

export const IngestDetailMutation = graphql(`
  mutation IngestDetail($input: IngestIncidentInput!) {
    ingestIncident(input: $input) {
      created
      incident {
        id number title version priorityScore
        alerts(first: 100) { totalCount nodes { externalId evidence { kind value device { id name } } } }
        devices { id name deviceGroup osPlatform healthStatus }
      }
      errors { code message field }
    }
  }
`);

export const AlertsPageQuery = graphql(`
  query AlertsPage($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
    node(id: $id) {
      ... on Incident {
        alerts(first: $first, after: $after, last: $last, before: $before) {
          totalCount
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          nodes { externalId }
        }
      }
    }
  }
`);

export const ExpertQueueQuery = graphql(`
  query ExpertQueue($filter: IncidentFilter, $first: Int) {
    incidents(filter: $filter, first: $first) {
      totalCount
      nodes { id number tenant { id } }
    }
  }
`);
