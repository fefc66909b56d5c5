"""Pure text functions: Arabic normalisation now, claim extraction as it lands."""
