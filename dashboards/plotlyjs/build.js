// Builds ../assets/vendor/plotly-dashboards.min.js from entry.js with the esbuild settings
// of plotly.js's own esbuild-config.js (minified; licence comments kept).
const esbuild = require('esbuild');
const { environmentPlugin } = require('esbuild-plugin-environment');
const InlineCSSPlugin = require('esbuild-plugin-inline-css');

esbuild
    .build({
        entryPoints: ['./entry.js'],
        outfile: '../assets/vendor/plotly-dashboards.min.js',
        format: 'iife',
        globalName: 'Plotly',
        bundle: true,
        minify: true,
        legalComments: 'inline',
        banner: {
            js: '/*! plotly.js ' + require('plotly.js/package.json').version +
                ' (partial bundle: scatter, bar, scattergeo) | MIT License | https://github.com/plotly/plotly.js */'
        },
        plugins: [InlineCSSPlugin(), environmentPlugin({ NODE_DEBUG: false })],
        alias: { stream: 'stream-browserify' },
        define: { global: 'window', 'define.amd': 'false' },
        target: 'es2016',
        logLevel: 'info'
    })
    .catch(() => process.exit(1));
