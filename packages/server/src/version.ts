/** tsrs's version, and the SRS version whose interfaces it matches (reported by the API). */
export const VERSION = '0.1.0';
export const SRS_COMPAT_VERSION = '6.0.157';
