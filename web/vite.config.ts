// Three entry pages, one shared module; no inline script or style in the output (the site's CSP
// allows scripts and styles from the site itself only).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0, // no data: URLs for assets: everything is a file of the site
    modulePreload: { polyfill: false }, // the polyfill would be an inline script
    rollupOptions: {
      input: {
        netdesk: fileURLToPath(new URL("./index.html", import.meta.url)),
        staff: fileURLToPath(new URL("./staff/index.html", import.meta.url)),
        verify: fileURLToPath(new URL("./verify/index.html", import.meta.url)),
      },
    },
  },
});
