// ESLint as OCA's repository template sets it up for 18.0 and later: Odoo's globals, ES modules
// for *.esm.js, and the rules whose findings are bugs as errors.
const globals = require("globals");
const jsdoc = require("eslint-plugin-jsdoc");

module.exports = [
    {
        ignores: [
            "**/node_modules/**",
            ".venv/**",
            ".state/**",
            ".build/**",
            "**/build/**",
        ],
    },
    {
        plugins: {jsdoc},
        languageOptions: {
            ecmaVersion: 2024,
            sourceType: "script",
            globals: {
                ...globals.browser,
                _: "readonly",
                $: "readonly",
                jQuery: "readonly",
                luxon: "readonly",
                odoo: "readonly",
                owl: "readonly",
            },
        },
        rules: {
            "init-declarations": "error",
            "no-cond-assign": "error",
            "no-const-assign": "error",
            "no-debugger": "error",
            "no-dupe-args": "error",
            "no-dupe-class-members": "error",
            "no-dupe-keys": "error",
            "no-duplicate-case": "error",
            "no-duplicate-imports": "error",
            "no-empty-function": "error",
            "no-empty-pattern": "error",
            "no-eq-null": "error",
            "no-eval": "error",
            "no-ex-assign": "error",
            "no-func-assign": "error",
            "no-global-assign": "error",
            "no-lonely-if": "error",
            "no-return-assign": "error",
            "no-undef": "error",
            "no-unneeded-ternary": "error",
            "no-unreachable": "error",
            "no-unsafe-finally": "error",
            "no-unused-expressions": "error",
            "no-unused-labels": "error",
            "no-unused-vars": "error",
            // Functions are hoisted: the simulator's page draws readers with mutually
            // recursive helpers.
            "no-use-before-define": ["error", {functions: false}],
            "operator-assignment": ["error", "always"],
            "spaced-comment": ["error", "always"],
            strict: ["error", "function"],
            "use-isnan": "error",
            "valid-typeof": "error",
            eqeqeq: "warn",
            "prefer-const": "warn",
            "no-shadow": "warn",
            "no-else-return": "warn",
            "dot-notation": "warn",
            "jsdoc/check-tag-names": ["warn", {definedTags: ["odoo-module"]}],
            "jsdoc/check-types": "warn",
        },
    },
    {
        // Odoo's ES modules, and the simulator's page (loaded as a module).
        files: ["**/*.esm.js", "tests/stripe_simulator/static/*.js"],
        languageOptions: {sourceType: "module"},
    },
];
