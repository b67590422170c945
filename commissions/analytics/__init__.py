"""What works for curators and for the retailer: clicks, visitors, orders, conversion and earnings over time."""
