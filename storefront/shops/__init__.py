"""Personal shops: curators build their own shop pages from the catalog."""
