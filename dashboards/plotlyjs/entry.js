// plotly.js with only the trace types the dashboards draw (dashboards/figures.py):
// scatter (in the core), bar and scattergeo.  A third of the full bundle's size, and it
// compiles about ten times faster in a fresh browser, which is most of the first view.
var Plotly = require('plotly.js/lib/core');

Plotly.register([require('plotly.js/lib/bar'), require('plotly.js/lib/scattergeo')]);

module.exports = Plotly;
