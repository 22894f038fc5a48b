// Prettier as OCA's repository template sets it up for 18.0 and later (XML through its plugin).
module.exports = {
    plugins: [require.resolve("@prettier/plugin-xml")],
    bracketSpacing: false,
    printWidth: 88,
    proseWrap: "always",
    semi: true,
    trailingComma: "es5",
    // Odoo reads some text nodes (labels, QWeb) as written: keep their whitespace.
    xmlWhitespaceSensitivity: "preserve",
    // Four spaces, as Odoo's and OCA's code; two where those formats are written so.
    tabWidth: 4,
    overrides: [{files: "*.{json,md,yaml,yml}", options: {tabWidth: 2}}],
};
