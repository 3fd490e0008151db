/**
 * Infobip message status & error catalogue — the ONE place these codes are defined.
 *
 * Sources:
 *  - shared/reference/infobip-messaging.md §3 (status/error groups, general SMS status table with
 *    the short payload descriptions and "final?" column, error table whose `permanent` column wins)
 *  - shared/reference/infobip-openapi/status-and-error-codes.yml, families "General status codes",
 *    "General error codes" and "Email error codes" (ids, names, groups, `permanent`; long descriptions
 *    the short ones here are derived from)
 *
 * Wire objects use SHORT descriptions (e.g. status 5 "Message delivered to handset", error 0 "No Error").
 * Status descriptions marked in the notes as coming from Infobip's examples/old table are used verbatim;
 * error descriptions other than 0/1/27 (observed in Infobip examples) are derived from the yml in the same
 * Title Case style.
 *
 * Data notes:
 *  - Status 14 uses the current name REJECTED_DESTINATION_BLOCKLISTED (old docs: REJECTED_DESTINATION).
 *  - Status 87 SIGNALS_BLOCKED is listed under both EXPIRED and REJECTED in the yml; it lives in REJECTED.
 *  - Statuses 1 and 22 come from the old Infobip table only (not in the current yml).
 *  - Error 4102 EC_NOTSUBMITTEDTOSMPPCHANNEL is listed twice in the yml (USER_ERRORS and OPERATOR_ERRORS,
 *    both permanent); the OPERATOR_ERRORS entry is kept, so the yml's 146 listings give 145 unique errors.
 *  - infobip-messaging.md §3.3 and the yml agree on `permanent` for every error the md lists.
 *  - The yml's "Email error codes" family (48 ids, 6002-6058) is here whole. Its groups Dropped, Bounced and
 *    System errors have the ids 1, 2 and 3, so on the wire they are named HANDSET_ERRORS, USER_ERRORS and
 *    OPERATOR_ERRORS like every error of those ids (the yml's notes pair them: "1 handset/…/dropped", …).
 */

export interface StatusDef {
  id: number;
  name: string;
  groupId: number;
  groupName: string;
  description: string;
  final: boolean;
  /** Only present on statuses for which the catalogue defines an action. */
  action?: string;
}

export interface ErrorDef {
  id: number;
  name: string;
  groupId: number;
  groupName: string;
  description: string;
  permanent: boolean;
}

export interface StatusObject {
  groupId: number;
  groupName: string;
  id: number;
  name: string;
  description: string;
  action?: string;
}

export interface ErrorObject {
  groupId: number;
  groupName: string;
  id: number;
  name: string;
  description: string;
  permanent: boolean;
}

/** Status group names indexed by groupId (v3 `MessageGeneralStatus` enum; 0 ACCEPTED for completeness). */
export const STATUS_GROUP_NAMES: readonly string[] = Object.freeze([
  'ACCEPTED', // 0
  'PENDING', // 1
  'UNDELIVERABLE', // 2
  'DELIVERED', // 3
  'EXPIRED', // 4
  'REJECTED', // 5
]);

/** Error group names indexed by groupId (v3 spelling; v2 payloads spell group 0 "Ok"). */
export const ERROR_GROUP_NAMES: readonly string[] = Object.freeze([
  'OK', // 0
  'HANDSET_ERRORS', // 1
  'USER_ERRORS', // 2
  'OPERATOR_ERRORS', // 3
]);

/** v2 ("legacy") spelling of error group 0, as in Infobip's v2 examples. */
const V2_OK_GROUP_NAME = 'Ok';

type StatusRow = readonly [id: number, name: string, groupId: number, final: boolean, description: string, action?: string];
type ErrorRow = readonly [id: number, name: string, groupId: number, permanent: boolean, description: string];

// prettier-ignore
const STATUS_ROWS: readonly StatusRow[] = [
  // PENDING (1): not final
  [1,   'PENDING_TIME_VIOLATION',              1, false, 'Time window violation'],
  [3,   'PENDING_WAITING_DELIVERY',            1, false, 'Message sent, waiting for delivery report'],
  [7,   'PENDING_ENROUTE',                     1, false, 'Message sent to next instance'],
  [26,  'PENDING_ACCEPTED',                    1, false, 'Message sent to next instance'],
  // UNDELIVERABLE (2)
  [4,   'UNDELIVERABLE_REJECTED_OPERATOR',     2, true,  'Message rejected by operator'],
  [9,   'UNDELIVERABLE_NOT_DELIVERED',         2, true,  'Message sent not delivered'],
  [31,  'UNDELIVERABLE_NOT_SENT',              2, true,  'The message has not been sent'],
  // DELIVERED (3): DELIVERED_TO_OPERATOR is not final (a handset DLR may follow)
  [2,   'DELIVERED_TO_OPERATOR',               3, false, 'Message delivered to operator'],
  [5,   'DELIVERED_TO_HANDSET',                3, true,  'Message delivered to handset'],
  // EXPIRED (4)
  [15,  'EXPIRED_EXPIRED',                     4, true,  'Message expired'],
  [22,  'EXPIRED_UNKNOWN',                     4, true,  'Unknown Reason'],
  [29,  'EXPIRED_DLR_UNKNOWN',                 4, true,  'Message expired, delivery status unknown'],
  // REJECTED (5)
  [6,   'REJECTED_NETWORK',                    5, true,  'Network is forbidden', 'Contact account manager'],
  [8,   'REJECTED_PREFIX_MISSING',             5, true,  'Number prefix missing'],
  [10,  'REJECTED_DND',                        5, true,  'Destination on DND list'],
  [11,  'REJECTED_SOURCE',                     5, true,  'Invalid Source address'],
  [12,  'REJECTED_NOT_ENOUGH_CREDITS',         5, true,  'Not enough credits'],
  [13,  'REJECTED_SENDER',                     5, true,  'By Sender'],
  [14,  'REJECTED_DESTINATION_BLOCKLISTED',    5, true,  'By Destination'],
  [17,  'REJECTED_PREPAID_PACKAGE_EXPIRED',    5, true,  'Prepaid package expired'],
  [18,  'REJECTED_DESTINATION_NOT_REGISTERED', 5, true,  'Destination not registered'],
  [19,  'REJECTED_ROUTE_NOT_AVAILABLE',        5, true,  'Route not available'],
  [20,  'REJECTED_FLOODING_FILTER',            5, true,  'Rejected flooding'],
  [21,  'REJECTED_SYSTEM_ERROR',               5, true,  'System error'],
  [23,  'REJECTED_DUPLICATE_MESSAGE_ID',       5, true,  'Rejected duplicate message ID'],
  [24,  'REJECTED_INVALID_UDH',                5, true,  'Rejected invalid UDH'],
  [25,  'REJECTED_MESSAGE_TOO_LONG',           5, true,  'Rejected message too long'],
  [51,  'MISSING_TO',                          5, true,  'Missing destination address'],
  [52,  'REJECTED_DESTINATION',                5, true,  'Invalid destination address'],
  [87,  'SIGNALS_BLOCKED',                     5, true,  'Rejected by anti-fraud mechanism'],
  [100, 'UNDELIVERABLE_REJECTED_PLATFORM',     5, true,  'Request rejected by the platform'],
];

// "General error codes" family of the yml, in its order: [id, name, groupId, permanent, short description]
// prettier-ignore
const ERROR_ROWS: readonly ErrorRow[] = [
  [0,    'NO_ERROR',                                      0, false, 'No Error'],
  [1,    'EC_UNKNOWN_SUBSCRIBER',                         1, true,  'Unknown Subscriber'],
  [2,    'EC_UNKNOWN_BASE_STATION',                       1, false, 'Unknown Base Station'],
  [5,    'EC_UNIDENTIFIED_SUBSCRIBER',                    1, false, 'Unidentified Subscriber'],
  [6,    'EC_ABSENT_SUBSCRIBER_SM',                       1, false, 'Absent Subscriber SM'],
  [7,    'EC_UNKNOWN_EQUIPMENT',                          1, false, 'Unknown Equipment'],
  [8,    'EC_ROAMING_NOT_ALLOWED',                        1, false, 'Roaming Not Allowed'],
  [9,    'EC_ILLEGAL_SUBSCRIBER',                         1, true,  'Illegal Subscriber'],
  [11,   'EC_TELESERVICE_NOT_PROVISIONED',                1, true,  'Teleservice Not Provisioned'],
  [12,   'EC_ILLEGAL_EQUIPMENT',                          1, true,  'Illegal Equipment'],
  [13,   'EC_CALL_BARRED',                                1, false, 'Call Barred'],
  [21,   'EC_FACILITY_NOT_SUPPORTED',                     1, false, 'Facility Not Supported'],
  [27,   'EC_ABSENT_SUBSCRIBER',                          1, false, 'Absent Subscriber'],
  [31,   'EC_SUBSCRIBER_BUSY_FOR_MT_SMS',                 1, false, 'Subscriber Busy For MT SMS'],
  [32,   'EC_SM_DELIVERY_FAILURE',                        1, false, 'SM Delivery Failure'],
  [33,   'EC_MESSAGE_WAITING_LIST_FULL',                  1, false, 'Message Waiting List Full'],
  [34,   'EC_SYSTEM_FAILURE',                             1, false, 'System Failure'],
  [35,   'EC_DATA_MISSING',                               1, false, 'Data Missing'],
  [36,   'EC_UNEXPECTED_DATA_VALUE',                      1, false, 'Unexpected Data Value'],
  [255,  'EC_UNKNOWN_ERROR',                              1, false, 'Unknown Error'],
  [256,  'EC_SM_DF_MEMORYCAPACITYEXCEEDED',               1, false, 'Handset Memory Capacity Exceeded'],
  [257,  'EC_SM_DF_EQUIPMENTPROTOCOLERROR',               1, false, 'Equipment Protocol Error'],
  [258,  'EC_SM_DF_EQUIPMENTNOTSM_EQUIPPED',              1, false, 'Equipment Not SM Equipped'],
  [259,  'EC_SM_DF_UNKNOWNSERVICECENTRE',                 1, false, 'Unknown Service Centre'],
  [260,  'EC_SM_DF_SC_CONGESTION',                        1, false, 'Service Centre Congestion'],
  [261,  'EC_SM_DF_INVALIDSME_ADDRESS',                   1, false, 'Invalid SME Address'],
  [262,  'EC_SM_DF_SUBSCRIBERNOTSC_SUBSCRIBER',           1, false, 'Subscriber Not SC Subscriber'],
  [500,  'EC_PROVIDER_GENERAL_ERROR',                     1, false, 'Provider General Error'],
  [502,  'EC_NO_RESPONSE',                                1, false, 'No Response'],
  [503,  'EC_SERVICE_COMPLETION_FAILURE',                 1, false, 'Service Completion Failure'],
  [504,  'EC_UNEXPECTED_RESPONSE_FROM_PEER',              1, false, 'Unexpected Response From Peer'],
  [507,  'EC_MISTYPED_PARAMETER',                         1, false, 'Mistyped Parameter'],
  [508,  'EC_NOT_SUPPORTED_SERVICE',                      1, false, 'Not Supported Service'],
  [509,  'EC_DUPLICATED_INVOKE_ID',                       1, false, 'Duplicated Invoke ID'],
  [565,  'EC_CANNOT_RECEIVE_SC',                          1, true,  'MVNO Subscriber Cannot Receive Short Code'],
  [573,  'EC_SC_BLOCKED_BY_END_USER',                     1, true,  'Short Code Blocked By End User'],
  [581,  'EC_USER_OUT_OF_CREDIT',                         1, false, 'End User Out Of Credit'],
  [628,  'EC_TEMPORARY_HANDSET_FAILURE',                  1, true,  'Temporary Handset Failure'],
  [629,  'EC_DEST_ADDRESS_UNABLE_TO_RECEIVE_SMS',         1, true,  'Destination Unable To Receive SMS'],
  [1024, 'EC_OR_APPCONTEXTNOTSUPPORTED',                  1, false, 'Application Context Not Supported'],
  [1025, 'EC_OR_INVALIDDESTINATIONREFERENCE',             1, false, 'Invalid Destination Reference'],
  [1026, 'EC_OR_INVALIDORIGINATINGREFERENCE',             1, false, 'Invalid Originating Reference'],
  [1027, 'EC_OR_ENCAPSULATEDAC_NOTSUPPORTED',             1, false, 'Encapsulated AC Not Supported'],
  [1028, 'EC_OR_TRANSPORTPROTECTIONNOTADEQUATE',          1, false, 'Transport Protection Not Adequate'],
  [1029, 'EC_OR_NOREASONGIVEN',                           1, false, 'No Reason Given'],
  [1030, 'EC_OR_POTENTIALVERSIONINCOMPATIBILITY',         1, false, 'Potential Version Incompatibility'],
  [1031, 'EC_OR_REMOTENODENOTREACHABLE',                  1, false, 'Remote Node Not Reachable'],
  [1152, 'EC_NNR_NOTRANSLATIONFORANADDRESSOFSUCHNATURE',  1, false, 'No Translation For An Address Of Such Nature'],
  [1153, 'EC_NNR_NOTRANSLATIONFORTHISSPECIFICADDRESS',    1, false, 'No Translation For This Specific Address'],
  [1154, 'EC_NNR_SUBSYSTEMCONGESTION',                    1, false, 'Subsystem Congestion'],
  [1155, 'EC_NNR_SUBSYSTEMFAILURE',                       1, false, 'Subsystem Failure'],
  [1156, 'EC_NNR_UNEQUIPPEDUSER',                         1, false, 'Unequipped User'],
  [1157, 'EC_NNR_MTPFAILURE',                             1, false, 'MTP Failure'],
  [1158, 'EC_NNR_NETWORKCONGESTION',                      1, false, 'Network Congestion'],
  [1159, 'EC_NNR_UNQUALIFIED',                            1, false, 'Unqualified'],
  [1160, 'EC_NNR_ERRORINMESSAGETRANSPORTXUDT',            1, false, 'Error In Message Transport (XUDT)'],
  [1161, 'EC_NNR_ERRORINLOCALPROCESSINGXUDT',             1, false, 'Error In Local Processing (XUDT)'],
  [1162, 'EC_NNR_DESTINATIONCANNOTPERFORMREASSEMBLYXUDT', 1, false, 'Destination Cannot Perform Reassembly (XUDT)'],
  [1163, 'EC_NNR_SCCPFAILURE',                            1, false, 'SCCP Failure'],
  [1164, 'EC_NNR_HOPCOUNTERVIOLATION',                    1, false, 'Hop Counter Violation'],
  [1165, 'EC_NNR_SEGMENTATIONNOTSUPPORTED',               1, false, 'Segmentation Not Supported'],
  [1166, 'EC_NNR_SEGMENTATIONFAILURE',                    1, false, 'Segmentation Failure'],
  [1281, 'EC_UA_USERSPECIFICREASON',                      1, false, 'User Specific Reason'],
  [1282, 'EC_UA_USERRESOURCELIMITATION',                  1, false, 'User Resource Limitation'],
  [1283, 'EC_UA_RESOURCEUNAVAILABLE',                     1, false, 'Resource Unavailable'],
  [1284, 'EC_UA_APPLICATIONPROCEDURECANCELLATION',        1, false, 'Application Procedure Cancellation'],
  [1536, 'EC_PA_PROVIDERMALFUNCTION',                     1, false, 'Provider Malfunction'],
  [1537, 'EC_PA_SUPPORTINGDIALOGORTRANSACTIONREALEASED',  1, false, 'Supporting Dialog Or Transaction Released'],
  [1538, 'EC_PA_RESSOURCELIMITATION',                     1, false, 'Provider Resource Limitation'],
  [1539, 'EC_PA_MAINTENANCEACTIVITY',                     1, false, 'Maintenance Activity'],
  [1540, 'EC_PA_VERSIONINCOMPATIBILITY',                  1, false, 'Version Incompatibility'],
  [1541, 'EC_PA_ABNORMALMAPDIALOG',                       1, false, 'Abnormal MAP Dialog'],
  [1792, 'EC_NC_ABNORMALEVENTDETECTEDBYPEER',             1, false, 'Abnormal Event Detected By Peer'],
  [1793, 'EC_NC_RESPONSEREJECTEDBYPEER',                  1, false, 'Response Rejected By Peer'],
  [1794, 'EC_NC_ABNORMALEVENTRECEIVEDFROMPEER',           1, false, 'Abnormal Event Received From Peer'],
  [1795, 'EC_NC_MESSAGECANNOTBEDELIVEREDTOPEER',          1, false, 'Message Cannot Be Delivered To Peer'],
  [1796, 'EC_NC_PROVIDEROUTOFINVOKE',                     1, false, 'Provider Out Of Invoke'],
  [323,  'EC_INVALID_REQUEST_TYPE',                       2, true,  'Invalid Request Type'],
  [351,  'EC_INVALID_DESTINATION_ADDRESS',                2, false, 'Invalid Destination Address'],
  [352,  'EC_INVALID_REQUEST_DESTINATION',                2, true,  'Destination Country Code Not Recognized'],
  [355,  'EC_MSG_TEXT_TOO_LONG',                          2, true,  'Message Text Too Long'],
  [368,  'EC_INVALID_SOURCE_ADDRESS',                     2, true,  'Invalid Source Address'],
  [433,  'EC_ACCOUNT_ACCESS_DENIED',                      2, true,  'Account Access Denied'],
  [541,  'EC_LIMIT_REACHED',                              2, false, 'Carrier Sending Limit Reached'],
  [542,  'EC_QUOTA_REACHED',                              2, false, 'Carrier Daily Quota Reached'],
  [572,  'EC_CAMPAIGNID_NOT_PROVISIONED',                 2, true,  'Campaign ID Not Provisioned'],
  [577,  'EC_ACC_NOT_PROVISIONED_TO_SMS_DEMO_SC',         2, true,  'Account Not Provisioned For SMS Demo Short Code'],
  [578,  'EC_EXCEEDED_THE_TIME_LIMIT_OF_SMS_DEMO',        2, true,  'SMS Demo Time Limit Exceeded'],
  [579,  'EC_DEST_ADDRESS_NOT_IN_SMS_DEMO',               2, true,  'Destination Not In SMS Demo Safelist'],
  [580,  'EC_EXCEEDED_THE_MAX_NUMBER',                    2, true,  'Maximum Number Of Demo Requests Exceeded'],
  [594,  'EC_INVALID_GLOBAL_CAMPAIGN_ID',                 2, true,  'Invalid Global Campaign ID'],
  [597,  'EC_ACC_HAS_NO_ADRESS_FOR_DESR',                 2, true,  'No Account Address Can Reach Destination'],
  [598,  'EC_INTERACTION_NOT_SUPPORTED',                  2, true,  'Interaction Not Supported For Destination'],
  [601,  'EC_ACC_NOT_2_WAY',                              2, true,  'Account Not Provisioned For Two-Way SMS'],
  [603,  'EC_CONTENT_BLOCKED',                            2, true,  'Content Blocked By User Opt-Out'],
  [604,  'EC_BLOCKED_BY_CAMPAIGN_BLACKLIST',              2, true,  'Content Blocked By Campaign Blocklist'],
  [607,  'EC_REJECTED_SPAM_BY_OPERATOR',                  2, true,  'Rejected As Spam By Operator'],
  [608,  'EC_SIGNALS_BLOCKED',                            2, false, 'Blocked By Anti-Fraud Mechanism'],
  [609,  'EC_SIGNALS_HARD_LIMIT_REACHED',                 2, true,  'Daily Signals Hard Limit Reached'],
  [2049, 'EC_IMSI_BLACKLISTED',                           2, true,  'IMSI Blocklisted'],
  [2052, 'EC_BLACKLISTED_DESTINATIONADDRESS',             2, true,  'Destination Address Blocklisted'],
  [2053, 'EC_BLACKLISTED_SENDERADDRESS',                  2, true,  'Sender Address Blocklisted'],
  [3041, 'EC_DEACTIVATED_LIST',                           2, true,  'Number Deactivated'],
  [4096, 'EC_INVALID_PDU_FORMAT',                         2, true,  'Invalid PDU Format'],
  [4099, 'EC_MONTHLY_LIMIT_REACHED',                      2, true,  'Monthly Credit Limit Reached'],
  [4100, 'EC_MESSAGE_CANCELED',                           2, true,  'Message Canceled'],
  [4101, 'EC_VALIDITY_EXPIRED',                           2, true,  'Validity Expired'],
  [4103, 'EC_DESTINATION_FLOODING',                       2, true,  'Destination Flooding'],
  [4104, 'EC_DESTINATION_TXT_FLOODING',                   2, true,  'Destination Text Flooding'],
  [4202, 'EC_10DLC_LIMIT_REACHED',                        2, true,  '10DLC Operator Limit Reached'],
  [10,   'EC_BEARER_SERVICE_NOT_PROVISIONED',             3, true,  'Bearer Service Not Provisioned'],
  [15,   'EC_CUG_REJECT',                                 3, false, 'Closed User Group Reject'],
  [20,   'EC_SS_INCOMPATIBILITY',                         3, false, 'SS Incompatibility'],
  [24,   'EC_NO_RADIO_RESOURCE_AVAILABLE',                3, false, 'No Radio Resource Available'],
  [51,   'EC_RESOURCE_LIMITATION',                        3, true,  'Resource Limitation'],
  [71,   'EC_UNKNOWN_ALPHABET',                           3, false, 'Unknown Alphabet'],
  [345,  'EC_OPERATOR_NOT_FOUND',                         3, true,  'Operator Not Found'],
  [375,  'EC_SOURCE_ADDRESS_IS_BLOCKED',                  3, true,  'Source Address Blocked'],
  [488,  'EC_TF_NUMBER_NOT_VERIFIED',                     3, true,  'Toll-Free Number Not Verified'],
  [501,  'EC_INVALID_RESPONSE_RECEIVED',                  3, false, 'Invalid Response Received'],
  [560,  'EC_SC_BLOCKED_FOR_END_USER',                    3, true,  'Short Code Blocked For End User'],
  [561,  'EC_CONTENT_BLOCKED_BY_OPERATOR',                3, true,  'Content Blocked By Operator'],
  [562,  'EC_SC_NOT_PROVISIONED',                         3, true,  'Short Code Not Provisioned'],
  [563,  'EC_SC_EXPIRED',                                 3, true,  'Short Code Expired'],
  [564,  'EC_SC_BLOCKED',                                 3, true,  'Short Code Blocked'],
  [566,  'EC_DESTINATION_BLOCKED_BY_OPERATOR',            3, true,  'Destination Blocked By Operator'],
  [568,  'EC_DESTINATION_NOT_SMS_PROVISIONED',            3, true,  'Destination Not Provisioned For SMS'],
  [569,  'EC_DEST_ADDRESS_SUSPENDED',                     3, true,  'Destination Address Suspended'],
  [571,  'EC_CAMPAIGN_ID_REJECTED',                       3, false, 'Campaign ID Rejected'],
  [574,  'EC_BLOCKED_NEW_SUBSCRIPTIONS_FOR_SC',           3, true,  'New Subscriptions For Short Code Blocked'],
  [592,  'EC_ACCOUNT_NOT_PROVISIONED_FOR_CHANNEL',        3, true,  'Account Not Provisioned For Channel'],
  [630,  'EC_DEST_OVERLOADED',                            3, true,  'Destination Overloaded'],
  [631,  'EC_MOBILE_OPERATOR_NETWORK_ERROR',              3, true,  'Mobile Operator Network Error'],
  [632,  'EC_SMS_REJECTED_BY_MOBILE_OPERATOR',            3, true,  'SMS Rejected By Mobile Operator'],
  [633,  'EC_UNKNOWN_MOBILE_OPERATOR',                    3, true,  'Unknown Mobile Operator Error'],
  [810,  'EC_FAILED_MESSAGE_DELIVERY',                    3, true,  'Failed Message Delivery'],
  [811,  'EC_MESSAGE_EXPIRED',                            3, true,  'Message Expired Before Reaching Handset'],
  [815,  'EC_MESSAGE_SUBMITTED_NOT_ACKED',                3, true,  'Message Submitted But Not Acknowledged'],
  [2048, 'EC_TIME_OUT',                                   3, false, 'Time Out'],
  [2050, 'EC_DEST_ADDRESS_BLACKLISTED',                   3, true,  'Destination Blocklisted In Operator DND Database'],
  [2051, 'EC_INVALIDMSCADDRESS',                          3, false, 'Invalid MSC Address'],
  [4097, 'EC_NOTSUBMITTEDTOGMSC',                         3, false, 'Not Submitted To GMSC'],
  [4098, 'EC_VP_EXPIRED',                                 3, false, 'Validity Period Expired'],
  [4102, 'EC_NOTSUBMITTEDTOSMPPCHANNEL',                  3, true,  'Not Submitted To SMPP Channel'],
  [5492, 'EC_DUPLICATE_MESSAGE',                          3, true,  'Duplicate Message'],
  // Email error codes (yml family "Email error codes"): Dropped (1), Bounced (2), System errors (3).
  [6002, 'EC_SPAM_DETECTED',                                1, true,  'Content Detected As Possible Spam'],
  [6003, 'EC_UNSUBSCRIBED_EMAIL_ADDRESS',                   1, true,  'Recipient Unsubscribed From Sender'],
  [6016, 'EC_SENDER_DOMAIN_BOUNCE_BLOCKED',                 1, true,  'Sender Domain Blocked For High Bounce Rate'],
  [6018, 'EC_REQUEST_INVALID',                              1, true,  'Request Invalid'],
  [6020, 'EC_EMAIL_TEMPLATE_NOT_FOUND',                     1, true,  'Email Template Not Found'],
  [6021, 'EC_EMAIL_PLACEHOLDERS_ERROR',                     1, true,  'Placeholder Error In Content'],
  [6023, 'EC_BLOCKED_SUSPICIOUS_ACTIVITY',                  1, true,  'Domain Blocked For Suspicious Activity'],
  [6024, 'EC_EMAIL_TOO_MANY_URLS',                          1, true,  'Too Many Tracked URLs'],
  [6025, 'EC_EMAIL_INVALID_TRACKING_PARAMS',                1, true,  'Invalid Tracking Parameters'],
  [6026, 'EC_EMAIL_LANDING_PAGE_PLACEHOLDERS_SIZE_EXCEEDED',1, true,  'Landing Page Placeholders Too Large'],
  [6027, 'EC_EMAIL_INVALID_HEADERS',                        1, true,  'Invalid Email Headers'],
  [6029, 'EC_SENDER_ADDRESS_INVALID',                       1, true,  'Sender Address Invalid Or Unauthorized'],
  [6030, 'EC_EMAIL_INVALID_LANDING_PAGE',                   1, true,  'Invalid Landing Page'],
  [6031, 'EC_INVALID_PRESERVED_CC_OR_BCC_RECIPIENT',        1, true,  'Invalid Preserved CC Or BCC Recipient'],
  [6033, 'EC_INVALID_CC_BCC_EMAIL_ADDRESS',                 1, true,  'Invalid CC Or BCC Address'],
  [6034, 'EC_SUPPRESSED_BOUNCE',                            1, true,  'Recipient Suppressed After Bounce'],
  [6035, 'EC_SUPPRESSED_SPAM_COMPLAINT',                    1, true,  'Recipient Suppressed After Spam Complaint'],
  [6036, 'EC_SENDER_DOMAIN_UNVERIFIED',                     1, true,  'Sender Domain Unverified'],
  [6038, 'EC_EMAIL_CONTENT_EXPIRED',                        1, true,  'Template Content Expired'],
  [6039, 'EC_EMAIL_TEMPLATE_LANGUAGE_ERROR',                1, true,  'Template Language Error'],
  [6040, 'EC_EMAIL_TEMPLATE_EXPIRED',                       1, true,  'Template Expired'],
  [6041, 'EC_EMAIL_TEMPLATE_NOT_SAVED',                     1, true,  'Template Not Saved'],
  [6050, 'EC_SENDER_WARMUP',                                1, false, 'Sender Domain Warmup Limit Reached'],
  [6051, 'EC_WARMUP',                                       1, false, 'Sender Warmup Limit Reached'],
  [6052, 'EC_RECIPIENT_DOMAIN_TYPO',                        1, true,  'Recipient Domain Blocklisted'],
  [6053, 'EC_ACCESS_DENIED_BY_MAILBOX_PROVIDER',            1, false, 'Access Denied By Mailbox Provider'],
  [6054, 'EC_SINGLE_SENDER_NOT_VERIFIED',                   1, true,  'Single Sender Not Verified'],
  [6055, 'EC_SINGLE_SENDER_TRAFFIC_EXCEEDED',               1, true,  'Single Sender Traffic Limit Exceeded'],
  [6056, 'EC_NO_IP_POOL_ASSIGNED',                          1, false, 'No IP Pool Assigned To Sending Domain'],
  [6057, 'EC_SAFETY_RATE_LIMIT',                            1, false, 'Rate Limited By Platform'],
  [6058, 'EC_MAILBOX_PROVIDER_RATE_LIMIT',                  1, false, 'Rate Limited By Mailbox Provider'],
  [6006, 'EC_INVALID_EMAIL_ADDRESS',                        2, true,  'Invalid Email Address'],
  [6007, 'EC_MAILBOX_TEMPORARY_UNAVAILABLE',                2, false, 'Mailbox Temporarily Unavailable'],
  [6009, 'EC_MAILBOX_PERMANENTLY_UNAVAILABLE',              2, true,  'Mailbox Permanently Unavailable'],
  [6010, 'EC_RECIPIENT_INBOX_FULL',                         2, false, 'Recipient Inbox Full'],
  [6011, 'EC_SOFT_BOUNCE',                                  2, false, 'Soft Bounce'],
  [6012, 'EC_HARD_BOUNCE',                                  2, true,  'Hard Bounce'],
  [6017, 'EC_SENDER_IP_BLACKLISTED',                        2, false, 'Sender IP Blocklisted'],
  [6037, 'EC_RECIPIENT_DOMAIN_MX_NOT_FOUND',                2, true,  'Recipient Domain MX Not Found'],
  [6042, 'EC_SPAM_REVERTED',                                2, true,  'Flagged As Spam By Mailbox Provider'],
  [6043, 'EC_SUSPICIOUS_CONTENT',                           2, true,  'Denied For Suspicious Content'],
  [6044, 'EC_SUSPICIOUS_SENDER',                            2, true,  'Denied For Low Sender Reputation'],
  [6045, 'EC_RECIPIENT_DOMAIN_POLICY_ERROR',                2, true,  'Recipient Domain Policy Error'],
  [6046, 'EC_UNSOLICITED_RECIPIENT',                        2, false, 'Unsolicited Recipient'],
  [6047, 'EC_DOMAIN_CONFIGURATION_ERROR',                   2, true,  'Sender Domain Configuration Error'],
  [6048, 'EC_DMARC_POLICY_ISSUE',                           2, true,  'DMARC Policy Issue'],
  [6049, 'EC_SENDER_DOMAIN_BLACKLISTED',                    2, true,  'Sender Domain Blocklisted'],
  [6013, 'EC_INTERNAL_SYSTEM_ERROR',                        3, false, 'Internal System Error'],
];

function groupName(names: readonly string[], groupId: number, kind: string, id: number): string {
  const name = names[groupId];
  if (name === undefined) throw new Error(`${kind} ${id}: unknown group ${groupId}`);
  return name;
}

function buildStatuses(): ReadonlyMap<number, StatusDef> {
  const map = new Map<number, StatusDef>();
  for (const [id, name, groupId, final, description, action] of STATUS_ROWS) {
    if (map.has(id)) throw new Error(`status-catalogue: duplicate status id ${id}`);
    const def: StatusDef = { id, name, groupId, groupName: groupName(STATUS_GROUP_NAMES, groupId, 'status', id), description, final };
    if (action !== undefined) def.action = action;
    map.set(id, Object.freeze(def));
  }
  return map;
}

function buildErrors(): ReadonlyMap<number, ErrorDef> {
  const map = new Map<number, ErrorDef>();
  for (const [id, name, groupId, permanent, description] of ERROR_ROWS) {
    if (map.has(id)) throw new Error(`status-catalogue: duplicate error id ${id}`);
    const def: ErrorDef = { id, name, groupId, groupName: groupName(ERROR_GROUP_NAMES, groupId, 'error', id), description, permanent };
    map.set(id, Object.freeze(def));
  }
  return map;
}

const STATUS_BY_ID = buildStatuses();
const ERROR_BY_ID = buildErrors();

/** All status definitions, in table order. */
export const STATUSES: readonly StatusDef[] = Object.freeze([...STATUS_BY_ID.values()]);
/** All error definitions, in table order. */
export const ERRORS: readonly ErrorDef[] = Object.freeze([...ERROR_BY_ID.values()]);

/** Status ids used by the gateway. */
export const STATUS = {
  PENDING_ACCEPTED: 26,
  PENDING_WAITING_DELIVERY: 3,
  PENDING_ENROUTE: 7,
  DELIVERED_TO_OPERATOR: 2,
  DELIVERED_TO_HANDSET: 5,
  UNDELIVERABLE_REJECTED_OPERATOR: 4,
  UNDELIVERABLE_NOT_DELIVERED: 9,
  UNDELIVERABLE_NOT_SENT: 31,
  EXPIRED_EXPIRED: 15,
  EXPIRED_DLR_UNKNOWN: 29,
  REJECTED_NETWORK: 6,
  REJECTED_SOURCE: 11,
  REJECTED_ROUTE_NOT_AVAILABLE: 19,
  REJECTED_SYSTEM_ERROR: 21,
  REJECTED_DUPLICATE_MESSAGE_ID: 23,
  REJECTED_MESSAGE_TOO_LONG: 25,
  MISSING_TO: 51,
  REJECTED_DESTINATION: 52,
} as const;

/** Error ids used by the gateway. */
export const ERROR = {
  NO_ERROR: 0,
  EC_UNKNOWN_SUBSCRIBER: 1,
  EC_CALL_BARRED: 13,
  EC_ABSENT_SUBSCRIBER: 27,
  EC_UNKNOWN_ERROR: 255,
  EC_MESSAGE_CANCELED: 4100,
  EC_VALIDITY_EXPIRED: 4101,
  EC_NOTSUBMITTEDTOSMPPCHANNEL: 4102,
  EC_INVALID_EMAIL_ADDRESS: 6006,
  EC_MAILBOX_TEMPORARY_UNAVAILABLE: 6007,
  EC_SOFT_BOUNCE: 6011,
  EC_HARD_BOUNCE: 6012,
} as const;

/** Throws on an unknown id. */
export function statusById(id: number): StatusDef {
  const def = STATUS_BY_ID.get(id);
  if (def === undefined) throw new Error(`Unknown Infobip status id: ${id}`);
  return def;
}

/** Throws on an unknown id. */
export const isKnownError = (id: number): boolean => ERROR_BY_ID.has(id);

export function errorById(id: number): ErrorDef {
  const def = ERROR_BY_ID.get(id);
  if (def === undefined) throw new Error(`Unknown Infobip error id: ${id}`);
  return def;
}

/** Wire `status` object (fresh object; `action` only when the catalogue defines one). */
export function statusObject(id: number): StatusObject {
  const s = statusById(id);
  const obj: StatusObject = { groupId: s.groupId, groupName: s.groupName, id: s.id, name: s.name, description: s.description };
  if (s.action !== undefined) obj.action = s.action;
  return obj;
}

/** Wire `error` object (fresh object). v2 payloads spell error group 0 "Ok"; v3 uses "OK". */
export function errorObject(id: number, flavour: 'v2' | 'v3'): ErrorObject {
  const e = errorById(id);
  const groupName = flavour === 'v2' && e.groupId === 0 ? V2_OK_GROUP_NAME : e.groupName;
  return { groupId: e.groupId, groupName, id: e.id, name: e.name, description: e.description, permanent: e.permanent };
}

/** Whether a status is terminal (no further DLR expected). Throws on an unknown id. */
export function isFinalStatus(id: number): boolean {
  return statusById(id).final;
}
