/** pcscd's vpcd driver listens on 35963 for its first slot and 35964 for its second. */
export const VPCD_FIRST_SLOT_PORT = 35963;
