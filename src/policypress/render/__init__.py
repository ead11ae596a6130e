"""A Project to what is published: pages, the site's addresses, exports, feed, print HTML, CSP."""
