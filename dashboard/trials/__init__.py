"""Trial configurations drafted from an export (`trials draft`) and checked against one (`trials check`)."""
