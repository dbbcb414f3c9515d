/**
 * Redfish error answers of the simulated BMC: the `error` object with
 * `@Message.ExtendedInfo` (DSP0266 §9.6 "Error responses"), built from the
 * DMTF Base message registry, version 1.5.0 (message IDs, argument counts
 * and severities as DMTF publishes them; the texts follow the registry's).
 * Owns the list of messages this simulator sends and the HTTP status of
 * each; pure functions, no I/O.
 * Hazard: Base 1.5.0 has no PreconditionFailed message, so a failed If-Match
 * answers 412 with GeneralError and says why in the message.
 */

export const BASE_REGISTRY = 'Base.1.5.0'

interface MessageDef {
  status: number
  severity: 'OK' | 'Warning' | 'Critical'
  /** %1, %2 ... are replaced by the arguments. */
  text: string
  resolution: string
}

/** Every message this simulator answers with, and its HTTP status. */
export const MESSAGES = {
  GeneralError: { status: 400, severity: 'Critical', text: 'A general error has occurred. %1', resolution: 'None.' },
  MalformedJSON: { status: 400, severity: 'Critical', text: 'The request body submitted was malformed JSON and could not be parsed by the receiving service.', resolution: 'Ensure that the request body is valid JSON and resubmit the request.' },
  EmptyJSON: { status: 400, severity: 'Warning', text: 'The request body submitted contained an empty JSON object and the service is unable to process it.', resolution: 'Add properties in the JSON object and resubmit the request.' },
  PropertyUnknown: { status: 400, severity: 'Warning', text: 'The property %1 is not in the list of valid properties for the resource.', resolution: 'Remove the unknown property from the request body and resubmit the request if the operation failed.' },
  PropertyNotWritable: { status: 400, severity: 'Warning', text: 'The property %1 is a read only property and cannot be assigned a value.', resolution: 'Remove the property from the request body and resubmit the request if the operation failed.' },
  PropertyValueTypeError: { status: 400, severity: 'Warning', text: 'The value %1 for the property %2 is of a different type than the property can accept.', resolution: 'Correct the value for the property in the request body and resubmit the request if the operation failed.' },
  PropertyValueNotInList: { status: 400, severity: 'Warning', text: 'The value %1 for the property %2 is not in the list of acceptable values.', resolution: 'Choose a value from the enumeration list that the implementation can support and resubmit the request if the operation failed.' },
  PropertyMissing: { status: 400, severity: 'Warning', text: 'The property %1 is a required property and must be included in the request.', resolution: 'Ensure that the property is in the request body and has a valid value and resubmit the request if the operation failed.' },
  StringValueTooLong: { status: 400, severity: 'Warning', text: 'The string %1 exceeds the length limit %2.', resolution: 'Resubmit the request with an appropriate string length.' },
  ActionParameterMissing: { status: 400, severity: 'Critical', text: 'The action %1 requires the parameter %2 to be present in the request body.', resolution: 'Supply the action with the required parameter in the request body when the request is resubmitted.' },
  ActionParameterNotSupported: { status: 400, severity: 'Warning', text: 'The parameter %1 for the action %2 is not supported on the target resource.', resolution: 'Remove the parameter supplied and resubmit the request if the operation failed.' },
  ActionParameterUnknown: { status: 400, severity: 'Warning', text: 'The action %1 was submitted with the invalid parameter %2.', resolution: 'Correct the invalid parameter and resubmit the request if the operation failed.' },
  ActionNotSupported: { status: 400, severity: 'Critical', text: 'The action %1 is not supported by the resource.', resolution: 'The action supplied cannot be resubmitted to the implementation.' },
  NoValidSession: { status: 401, severity: 'Critical', text: 'There is no valid session established with the implementation.', resolution: 'Establish a session before attempting any operations.' },
  InsufficientPrivilege: { status: 403, severity: 'Critical', text: 'There are insufficient privileges for the account or credentials associated with the current session to perform the requested operation.', resolution: 'Either abandon the operation or change the associated access rights and resubmit the request if the operation failed.' },
  ResourceMissingAtURI: { status: 404, severity: 'Critical', text: 'The resource at the URI %1 was not found.', resolution: 'Place a valid resource at the URI or correct the URI and resubmit the request.' },
  ActionNotAllowed: { status: 405, severity: 'Critical', text: 'The method %1 is not allowed on %2.', resolution: 'Use a method the resource supports.' },
  ResourceInUse: { status: 409, severity: 'Warning', text: 'The change to the requested resource failed because the resource is in use or in transition.', resolution: 'Remove the condition and resubmit the request if the operation failed.' },
  ResourceInStandby: { status: 409, severity: 'Critical', text: 'The request could not be performed because the resource is in standby.', resolution: 'Ensure that the resource is in the correct power state and resubmit the request.' },
  ResourceAlreadyExists: { status: 409, severity: 'Critical', text: 'The requested resource of type %1 with the property %2 with the value %3 already exists.', resolution: 'Do not repeat the create operation as the resource has already been created.' },
  CreateLimitReachedForResource: { status: 409, severity: 'Critical', text: 'The create operation failed because the resource has reached the limit of possible resources.', resolution: 'Either delete resources and resubmit the request if the operation failed or do not resubmit the request.' },
  ResourceCannotBeDeleted: { status: 405, severity: 'Critical', text: 'The delete request failed because the resource requested cannot be deleted.', resolution: 'Do not attempt to delete a non-deletable resource.' },
  PreconditionFailed: { status: 412, severity: 'Critical', text: 'A general error has occurred. The If-Match header %1 does not match the current ETag %2.', resolution: 'GET the resource again and resubmit the request with its current ETag.' },
  PayloadTooLarge: { status: 413, severity: 'Critical', text: 'A general error has occurred. The request body is larger than %1 bytes.', resolution: 'Send a smaller request body.' },
  UnsupportedMediaType: { status: 415, severity: 'Critical', text: 'A general error has occurred. The request body is not application/json.', resolution: 'Send the body as application/json.' },
  InternalError: { status: 500, severity: 'Critical', text: 'The request failed due to an internal service error.  The service is still operational.', resolution: 'Resubmit the request.  If the problem persists, consider resetting the service.' },
  SessionLimitExceeded: { status: 503, severity: 'Critical', text: 'The session establishment failed due to the number of simultaneous sessions exceeding the limit of the implementation.', resolution: 'Reduce the number of other sessions before trying to establish the session or increase the limit of simultaneous sessions (if supported).' },
  ServiceTemporarilyUnavailable: { status: 503, severity: 'Critical', text: 'The service is temporarily unavailable.  Retry in %1 seconds.', resolution: 'Wait for the indicated retry duration and retry the operation.' },
} as const satisfies Record<string, MessageDef>

export type MessageName = keyof typeof MESSAGES

/**
 * The registry message ID each name is sent as. Our own names that Base 1.5.0
 * lacks (ActionNotAllowed, PreconditionFailed, PayloadTooLarge,
 * UnsupportedMediaType) go out as GeneralError, the registry's catch-all.
 */
function registryId(name: MessageName): string {
  switch (name) {
    case 'ActionNotAllowed':
    case 'PreconditionFailed':
    case 'PayloadTooLarge':
    case 'UnsupportedMediaType':
      return `${BASE_REGISTRY}.GeneralError`
    default:
      return `${BASE_REGISTRY}.${name}`
  }
}

export interface RedfishMessage {
  '@odata.type': string
  MessageId: string
  Message: string
  MessageArgs: string[]
  Severity: string
  MessageSeverity: string
  Resolution: string
}

export function message(name: MessageName, args: readonly (string | number)[] = []): RedfishMessage {
  const def: MessageDef = MESSAGES[name]
  const strArgs = args.map(String)
  const text = def.text.replace(/%(\d)/g, (_, n: string) => strArgs[Number(n) - 1] ?? '').trim()
  return {
    '@odata.type': '#Message.v1_1_1.Message',
    MessageId: registryId(name),
    Message: text,
    MessageArgs: strArgs,
    Severity: def.severity,
    MessageSeverity: def.severity,
    Resolution: def.resolution,
  }
}

export interface RedfishErrorBody {
  error: { code: string; message: string; '@Message.ExtendedInfo': RedfishMessage[] }
}

/** The error body and its status for one message (DSP0266 §9.6). */
export function errorBody(name: MessageName, args: readonly (string | number)[] = []): { status: number; body: RedfishErrorBody } {
  const m = message(name, args)
  return { status: MESSAGES[name].status, body: { error: { code: m.MessageId, message: m.Message, '@Message.ExtendedInfo': [m] } } }
}
