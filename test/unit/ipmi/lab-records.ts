// Bytes of the lab BMC (test/lab/ipmi-sim) as ipmi_sim 2.0.33 serves them:
// SDRs (sdrcomp -r of sensors.sdrs), SEL records (sim.emu's sel_add lines
// with the timestamp ipmi_sim stamped on them) and FRU images (sim.emu's
// mc_add_fru_data, from make-fru.mjs and make-fru-riser.mjs). Shared by the
// decoder unit tests so they need no simulator.

/** The lab's SDRs by record ID, as served by ipmi_sim 2.0.33. */
export const LAB_SDR: Record<string, string> = {
  mcLocator: '01 00 51 12 12 20 00 00 9f 00 00 00 06 01 00 c7 4c 61 62 20 42 4d 43',
  watchdogEventOnly: '02 00 51 03 18 20 00 00 06 01 23 6f 00 00 00 00 cc 42 4d 43 20 57 61 74 63 68 64 6f 67',
  cpuTemp:
    '03 00 51 01 33 20 00 01 03 01 67 48 01 01 80 0a 80 0a 38 38 00 01 00 00 01 00 00 01 01 00 01 2d 00 00 7f 00 69 5f 55 00 00 00 00 00 00 00 00 c8 43 50 55 20 54 65 6d 70',
  fan1: '04 00 51 01 2f 20 00 02 1d 01 67 48 04 01 15 00 15 00 07 07 00 12 00 00 3c 00 00 01 01 00 00 00 00 00 ff 00 00 00 00 05 0a 0f 00 00 00 00 00 c4 46 61 6e 31',
  volt12:
    '05 00 51 01 33 20 00 03 0a 01 67 48 02 01 85 02 85 02 1b 00 00 04 00 00 06 00 00 01 01 e0 01 c8 00 00 ff 00 00 e6 dc 00 aa b4 00 00 00 00 00 c8 56 6f 6c 74 20 31 32 56',
  psuStatus: '06 00 51 02 26 20 00 04 0a 01 67 40 08 6f 0b 00 0b 00 0b 00 c0 00 00 00 00 00 00 00 00 00 00 cb 50 53 55 31 20 53 74 61 74 75 73',
  intrusion: '07 00 51 02 28 20 00 05 17 01 67 40 05 6f 01 00 01 00 01 00 c0 00 00 00 00 00 00 00 00 00 00 cd 43 68 61 73 73 69 73 20 49 6e 74 72 75',
  inletTemp:
    '08 00 51 01 35 20 00 06 27 01 45 03 01 01 00 00 00 00 00 00 80 01 00 00 05 02 e7 c0 01 f1 00 00 00 00 7f 80 00 00 00 00 00 00 00 00 00 00 00 ca 49 6e 6c 65 74 20 54 65 6d 70',
  psuCurrent:
    '09 00 51 01 37 20 00 07 0a 01 45 07 03 01 00 00 00 00 18 00 00 05 00 00 2c 40 70 80 01 d0 00 00 00 00 ff 00 00 f0 dc 00 00 00 00 00 00 00 00 cc 50 53 55 31 20 43 75 72 72 65 6e 74',
  riserFru: '0e 00 51 11 14 20 01 80 00 00 10 00 07 02 00 c9 52 69 73 65 72 20 46 52 55',
}

/** SEL entries 1-5 (Get SEL Entry data after the next-ID field); ipmi_sim stamped 0x913 s after its start. */
export const LAB_SEL: string[] = [
  '01 00 02 13 09 00 00 20 00 04 01 01 01 59 60 5f',
  '02 00 02 13 09 00 00 20 00 04 01 01 81 59 54 5f',
  '03 00 02 13 09 00 00 20 00 04 04 02 01 52 09 0a',
  '04 00 02 13 09 00 00 20 00 04 08 04 6f 01 ff ff',
  '05 00 02 13 09 00 00 20 00 04 05 05 6f 00 ff ff',
]

/** FRU 0 (256 bytes; the data, the rest of the device reads 0). */
export const LAB_FRU0: string = [
  '01 00 01 05 10 00 00 e9 01 04 17 c9 4e 57 2d 43 48 32 55 2d 52 cc 4e 57',
  '43 32 33 31 31 58 30 30 39 33 c1 00 00 00 00 58 01 0b 00 56 54 dc d3 4e',
  '6f 72 74 68 77 69 6e 64 20 43 6f 6d 70 75 74 69 6e 67 d2 4e 57 2d 32 55',
  '2d 4d 42 20 4d 61 69 6e 62 6f 61 72 64 cc 4e 57 42 32 33 31 30 41 30 30',
  '34 32 d2 39 30 30 2d 32 34 30 31 35 2d 30 30 30 31 2d 30 30 30 c8 66 72',
  '75 2d 76 31 2e 33 c1 aa 01 0c 00 d3 4e 6f 72 74 68 77 69 6e 64 20 43 6f',
  '6d 70 75 74 69 6e 67 cf 4e 6f 72 74 68 77 69 6e 64 20 52 32 32 34 30 c8',
  '52 32 32 34 30 2d 41 31 c4 31 2e 30 32 cf 4e 57 52 32 32 34 30 2d 30 30',
  '30 37 35 33 31 ca 52 41 43 4b 31 32 2d 55 30 37 c8 66 72 75 2d 76 31 2e',
  '33 c1 00 00 00 00 00 64',
].join(' ')

/** FRU 1 ("Riser FRU"): 6-bit ASCII, BCD plus, binary and custom fields, two multi-records. */
export const LAB_FRU1: string = [
  '01 00 00 01 09 12 00 e3 01 08 00 15 62 c9 89 ee 2b d3 e8 9d ba 24 30 be',
  'c8 52 69 73 65 72 20 52 31 45 20 21 b0 00 42 89 f2 2c 37 10 04 45 4d 08',
  '45 02 01 02 04 de ad be ef c5 52 45 56 20 42 c1 00 00 00 00 00 00 00 22',
  '01 09 00 d3 4e 6f 72 74 68 77 69 6e 64 20 43 6f 6d 70 75 74 69 6e 67 89',
  '72 3a 97 32 30 86 32 09 e0 45 20 23 b0 6c 15 c2 41 31 cc 52 53 52 32 33',
  '31 31 58 30 30 30 37 c0 c0 c8 43 46 47 3d 32 78 31 36 c1 00 00 00 00 04',
  '01 02 0d 52 9e 01 b0 04 9c ff c4 04 60 04 32 00 00 00 c0 82 06 92 26 4c',
  '1c 00 01 02 03 00 00 00',
].join(' ')
