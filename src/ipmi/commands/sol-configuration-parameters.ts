/**
 * SOL configuration parameter selectors: IPMI v2.0 §26.3, Table 26-5, shared
 * by Get and Set SOL Configuration Parameters. Data layouts (one byte unless
 * noted): 0 set in progress (b1:0); 1 SOL enable (b0); 2 authentication
 * (b7 force encryption, b6 force authentication, b3:0 privilege); 3 character
 * accumulate interval (5 ms units) and send threshold (2 bytes); 4 retry
 * (b2:0 count, then interval in 10 ms units; 2 bytes); 5/6 bit rate
 * (0 serial setting, 6 9600, 7 19200, 8 38400, 9 57600, 0x0A 115200);
 * 7 payload channel (read-only); 8 payload port (2 bytes LE).
 * QUIRK(ipmi_sim): 2.0.33 supports only 0, 1, 5 and 6 (0x80 for the rest).
 */
export const SolParameter = {
  SetInProgress: 0,
  SolEnable: 1,
  SolAuthentication: 2,
  CharacterAccumulate: 3,
  SolRetry: 4,
  NonVolatileBitRate: 5,
  VolatileBitRate: 6,
  PayloadChannel: 7,
  PayloadPort: 8,
} as const
export type SolParameter = (typeof SolParameter)[keyof typeof SolParameter]
