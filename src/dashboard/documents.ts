// Every GraphQL document the dashboard sends, in one place, as plain strings: the page is an
// example of the public API (queries over HTTP, subscriptions over graphql-ws), and these are the
// documents that can later be registered as persisted documents.

/** Who the token belongs to (shown in the header; experts also see a tenant column). */
export const VIEWER_QUERY = /* GraphQL */ `
  query DashboardViewer {
    viewer {
      role
      principal { name }
      tenant { name }
    }
  }
`;

/** The fields of a queue row, shared by the list query and the live event. */
const ROW_FIELDS = /* GraphQL */ `
  id
  number
  version
  title
  severity
  status
  assignment
  updatedAt
  tenant { name }
`;

/** The queue: the 50 most recently updated incidents matching the filter. */
export const QUEUE_QUERY = /* GraphQL */ `
  query DashboardQueue($filter: IncidentFilter) {
    incidents(first: 50, filter: $filter, orderBy: { field: LAST_UPDATE, direction: DESC }) {
      totalCount
      nodes { ${ROW_FIELDS} }
    }
  }
`;

/**
 * Every change of every incident the viewer may read (the server scopes it to the token's tenant;
 * the dashboard applies its own filter to each event, so an incident leaving the filter leaves the list).
 */
export const INCIDENT_CHANGED_SUBSCRIPTION = /* GraphQL */ `
  subscription DashboardIncidentChanged {
    incidentChanged {
      eventId
      incident { ${ROW_FIELDS} }
      activity { field from to }
    }
  }
`;

/** The banner, live: the server sends the current counts first, then every change. */
export const BANNER_SUBSCRIPTION = /* GraphQL */ `
  subscription DashboardBanner {
    managedResponseSummaryChanged {
      awaitingCustomerAction
      investigating
    }
  }
`;

const CARD_FIELDS = /* GraphQL */ `
  id
  kind
  title
  status
  performedBy
  failureReason
  skipReason
  updatedAt
`;

/** One incident and its action cards. */
export const INCIDENT_QUERY = /* GraphQL */ `
  query DashboardIncident($id: ID!) {
    node(id: $id) {
      ... on Incident {
        ${ROW_FIELDS}
        managedResponse {
          publishedAt
          actions { ${CARD_FIELDS} }
        }
      }
    }
  }
`;

/** The selected incident's action cards as they run: PENDING → IN_PROGRESS → COMPLETED / FAILED. */
export const ACTION_CHANGED_SUBSCRIPTION = /* GraphQL */ `
  subscription DashboardActionChanged($incidentId: ID) {
    actionChanged(incidentId: $incidentId) { ${CARD_FIELDS} }
  }
`;
