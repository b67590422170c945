"""Share links, clicks and attribution (built in a later issue)."""
