/* The virtual reader page: renders what /_simulator/screens says each reader shows, and presents
 * cards with Stripe's test helper, exactly as a test does. It keeps no payment state of its own:
 * only what the person at the page is doing (typing a PIN or a keyed card, a request in flight). */

const POLL_MS = 500;
// A tap is answered at once by the simulator; keep "Processing" on screen long enough to be seen,
// as a real reader shows it while the card is authorized.
const PROCESSING_MIN_MS = 700;
const DEVICE_NAMES = {
    simulated_wisepos_e: "Simulated WisePOS E",
    simulated_stripe_s700: "Simulated Stripe S700",
    simulated_stripe_s710: "Simulated Stripe S710",
    simulated_stripe_t600: "Simulated Stripe T600",
    bbpos_wisepos_e: "BBPOS WisePOS E",
    stripe_s700: "Stripe Reader S700",
    stripe_s710: "Stripe Reader S710",
    verifone_P400: "Verifone P400 (legacy)",
    stripe_m2: "Stripe Reader M2",
    bbpos_chipper2x: "BBPOS Chipper 2X BT",
    bbpos_wisepad3: "BBPOS WisePad 3",
};
const ACTIONABLE = new Set(["payment", "setup", "refund", "moto"]);

const page = {
    catalog: {present_cards: [], keyed_cards: []},
    local: {}, // reader id -> {busy, pin, error, keyed}
    nodes: {}, // reader id -> {node, signature}
    sections: {}, // account label -> section node
    pollTimer: null,
};

function h(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
        if (value === null || value === undefined || value === false) {
            continue;
        }
        if (name.startsWith("on")) {
            node.addEventListener(name.slice(2), value);
        } else if (name === "dataset") {
            Object.assign(node.dataset, value);
        } else {
            node.setAttribute(name, value === true ? "" : value);
        }
    }
    for (const child of children.flat()) {
        if (child !== null && child !== undefined && child !== false) {
            node.append(
                child instanceof Node ? child : document.createTextNode(String(child))
            );
        }
    }
    return node;
}

function localOf(readerId) {
    if (!page.local[readerId]) {
        const year = new Date().getFullYear() + 3;
        page.local[readerId] = {
            busy: false,
            pin: null,
            error: "",
            keyed: {
                number: "4242424242424242",
                exp_month: "12",
                exp_year: String(year),
                cvc: "123",
            },
        };
    }
    return page.local[readerId];
}

function delay(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

// Stripe's form encoding with brackets: {card: {number: 1}} -> card[number]=1
function formEncode(params, prefix, out) {
    out = out || new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
        const key = prefix ? `${prefix}[${name}]` : name;
        if (value !== null && typeof value === "object") {
            formEncode(value, key, out);
        } else if (value !== undefined && value !== null && value !== "") {
            out.append(key, String(value));
        }
    }
    return out;
}

async function readJson(response) {
    try {
        return await response.json();
    } catch {
        return {error: {message: `HTTP ${response.status}`}};
    }
}

// === Talking to the simulator === //

async function presentPaymentMethod(account, reader, params) {
    const local = localOf(reader.id);
    local.busy = true;
    local.error = "";
    local.pin = null;
    redraw(account, reader);
    const request = fetch(
        `/v1/test_helpers/terminal/readers/${encodeURIComponent(reader.id)}/present_payment_method`,
        {
            method: "POST",
            headers: {
                Authorization: `Bearer ${account.api_key}`,
                "Content-Type": "application/x-www-form-urlencoded",
            },
            body: formEncode(params),
        }
    );
    try {
        const [response] = await Promise.all([request, delay(PROCESSING_MIN_MS)]);
        if (!response.ok) {
            const body = await readJson(response);
            local.error =
                (body.error && body.error.message) || `HTTP ${response.status}`;
        }
    } catch (error) {
        local.error = `The simulator did not answer: ${error}`;
    }
    local.busy = false;
    await refresh();
}

async function control(account, reader, path, body) {
    const local = localOf(reader.id);
    local.error = "";
    try {
        const response = await fetch(
            `/_simulator/readers/${encodeURIComponent(reader.id)}/${path}`,
            {
                method: "POST",
                headers: {"Content-Type": "application/json"},
                body: JSON.stringify(body || {}),
            }
        );
        if (!response.ok) {
            const answer = await readJson(response);
            local.error =
                (answer.error && answer.error.message) || `HTTP ${response.status}`;
        }
    } catch (error) {
        local.error = `The simulator did not answer: ${error}`;
    }
    await refresh();
}

function presentCard(account, reader, card) {
    const type = card.type || "card_present";
    const params = {type};
    params[type] = {number: card.number};
    return presentPaymentMethod(account, reader, params);
}

function presentKeyedCard(account, reader) {
    const keyed = localOf(reader.id).keyed;
    return presentPaymentMethod(account, reader, {
        type: "card",
        card: {
            number: keyed.number.replace(/\s+/g, ""),
            exp_month: keyed.exp_month,
            exp_year: keyed.exp_year,
            cvc: keyed.cvc,
        },
    });
}

// === Rendering === //

function screenNode(reader, local) {
    const kind = local.busy ? "processing" : reader.kind;
    const children = [];
    if (local.busy) {
        children.push(
            h("div", {class: "screen-title"}, "Processing"),
            h("div", {class: "spinner", "aria-hidden": "true"}),
            h("div", {class: "screen-message"}, "Do not remove the card.")
        );
    } else if (local.pin !== null && ACTIONABLE.has(reader.kind)) {
        children.push(
            h("div", {class: "screen-title"}, "Enter PIN"),
            reader.amount_text
                ? h("div", {class: "screen-amount"}, reader.amount_text)
                : null,
            h(
                "div",
                {class: "pin-dots", dataset: {testid: "pin-dots"}},
                "•".repeat(local.pin.length) || " "
            ),
            h("div", {class: "screen-message"}, "Any four digits (test mode).")
        );
    } else {
        children.push(h("div", {class: "screen-title"}, reader.title));
        if (reader.amount_text) {
            children.push(h("div", {class: "screen-amount"}, reader.amount_text));
        }
        if (
            reader.kind === "payment" ||
            reader.kind === "setup" ||
            reader.kind === "refund"
        ) {
            children.push(
                h(
                    "div",
                    {class: "contactless", "aria-hidden": "true"},
                    h("span"),
                    h("span"),
                    h("span")
                )
            );
        }
        if (reader.kind === "cart" && reader.cart) {
            children.push(
                h(
                    "table",
                    {class: "cart"},
                    h(
                        "tbody",
                        {},
                        reader.cart.lines.map((line) =>
                            h(
                                "tr",
                                {},
                                h("td", {class: "qty"}, `${line.quantity || 1}×`),
                                h("td", {}, line.description || ""),
                                h("td", {class: "num"}, line.amount_text)
                            )
                        )
                    ),
                    h(
                        "tfoot",
                        {},
                        h(
                            "tr",
                            {},
                            h("td"),
                            h("td", {}, "Tax"),
                            h("td", {class: "num"}, reader.cart.tax_text)
                        ),
                        h(
                            "tr",
                            {class: "total"},
                            h("td"),
                            h("td", {}, "Total"),
                            h("td", {class: "num"}, reader.cart.total_text)
                        )
                    )
                )
            );
        }
        if (reader.card) {
            children.push(h("div", {class: "screen-card"}, reader.card));
        }
        if (reader.message) {
            children.push(h("div", {class: "screen-message"}, reader.message));
        }
        if (reader.decline_code) {
            children.push(h("div", {class: "screen-code"}, reader.decline_code));
        }
        if (reader.description) {
            children.push(h("div", {class: "screen-description"}, reader.description));
        }
    }
    return h("div", {class: `screen kind-${kind}`, dataset: {kind}}, children);
}

function pinPad(account, reader, local) {
    const press = (digit) => () => {
        if (local.pin.length < 6) {
            local.pin += digit;
            redraw(account, reader);
        }
    };
    const keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9"].map((digit) =>
        h("button", {type: "button", class: "key", onclick: press(digit)}, digit)
    );
    const pinCard = page.catalog.present_cards.find((card) => card.asks_pin);
    return h(
        "div",
        {class: "pinpad"},
        keys,
        h(
            "button",
            {
                type: "button",
                class: "key key-cancel",
                onclick: () => {
                    local.pin = null;
                    redraw(account, reader);
                },
            },
            "✕"
        ),
        h("button", {type: "button", class: "key", onclick: press("0")}, "0"),
        h(
            "button",
            {
                type: "button",
                class: "key key-ok",
                dataset: {action: "pin-ok"},
                disabled: local.pin.length < 4,
                onclick: () => presentCard(account, reader, pinCard),
            },
            "OK"
        )
    );
}

function motoForm(account, reader, local) {
    const field = (name, label, attributes) =>
        h(
            "label",
            {class: `field field-${name}`},
            h("span", {}, label),
            h("input", {
                name,
                value: local.keyed[name],
                autocomplete: "off",
                inputmode: "numeric",
                ...attributes,
                oninput: (event) => {
                    local.keyed[name] = event.target.value;
                },
            })
        );
    const choices = page.catalog.keyed_cards.map((card) =>
        h(
            "option",
            {value: card.number, selected: card.number === local.keyed.number},
            `${card.label} — ${card.number}`
        )
    );
    return h(
        "form",
        {
            class: "moto-form",
            onsubmit: (event) => {
                event.preventDefault();
                presentKeyedCard(account, reader);
            },
        },
        h(
            "label",
            {class: "field field-choice"},
            h("span", {}, "Test card"),
            h(
                "select",
                {
                    onchange: (event) => {
                        local.keyed.number = event.target.value;
                        redraw(account, reader, true);
                    },
                },
                choices
            )
        ),
        field("number", "Card number", {size: 19}),
        h(
            "div",
            {class: "row"},
            field("exp_month", "MM", {size: 2}),
            field("exp_year", "YYYY", {size: 4}),
            field("cvc", "CVC", {size: 4})
        ),
        h(
            "button",
            {
                type: "submit",
                class: "btn btn-primary",
                dataset: {action: "submit-keyed"},
            },
            "Submit keyed card"
        )
    );
}

function cardButtons(account, reader, local) {
    const accepts = new Set(reader.accepts || []);
    return h(
        "div",
        {class: "cards"},
        page.catalog.present_cards.map((card) => {
            const type = card.type || "card_present";
            const accepted = accepts.has(type);
            const approved =
                card.outcome.startsWith("approved") || card.key === "interac";
            return h(
                "button",
                {
                    type: "button",
                    class: `btn card-button ${approved ? "card-ok" : "card-decline"}`,
                    dataset: {card: card.key},
                    disabled: !accepted,
                    title: accepted
                        ? `${card.number} (${card.outcome})`
                        : `This payment does not accept ${type.replace("_", " ")}`,
                    onclick: () => {
                        if (card.asks_pin) {
                            local.pin = "";
                            redraw(account, reader);
                        } else {
                            presentCard(account, reader, card);
                        }
                    },
                },
                h("span", {class: "card-label"}, card.label),
                h("span", {class: "card-outcome"}, card.outcome.replace(/_/g, " "))
            );
        })
    );
}

function controlsNode(account, reader, local) {
    const parts = [];
    if (!reader.simulated && reader.server_driven) {
        parts.push(
            h("p", {class: "hint"}, "A real reader: present a physical card on it.")
        );
    } else if (local.busy) {
        parts.push(h("p", {class: "hint"}, "Authorizing…"));
    } else if (local.pin !== null && ACTIONABLE.has(reader.kind)) {
        parts.push(pinPad(account, reader, local));
    } else if (reader.kind === "moto") {
        parts.push(motoForm(account, reader, local));
    } else if (ACTIONABLE.has(reader.kind)) {
        parts.push(cardButtons(account, reader, local));
    } else if (reader.kind !== "unsupported" && reader.kind !== "offline") {
        parts.push(
            h(
                "p",
                {class: "hint"},
                "Start a payment from Odoo: this reader will ask for a card."
            )
        );
    }
    const tools = [];
    if (reader.can_cancel && !local.busy) {
        tools.push(
            h(
                "button",
                {
                    type: "button",
                    class: "btn btn-light",
                    dataset: {action: "customer-cancel"},
                    onclick: () => control(account, reader, "customer_cancel"),
                },
                "Cancel on the reader"
            )
        );
    }
    if (reader.can_power && reader.server_driven) {
        const online = reader.status === "online";
        tools.push(
            h(
                "button",
                {
                    type: "button",
                    class: "btn btn-light",
                    dataset: {action: online ? "switch-off" : "switch-on"},
                    onclick: () =>
                        control(account, reader, "online", {online: !online}),
                },
                online ? "Switch off" : "Switch on"
            )
        );
    }
    if (tools.length) {
        parts.push(h("div", {class: "tools"}, tools));
    }
    if (local.error) {
        parts.push(h("p", {class: "error", role: "alert"}, local.error));
    }
    return h("div", {class: "controls"}, parts);
}

function readerNode(account, reader) {
    const local = localOf(reader.id);
    const status = reader.status || "no status";
    return h(
        "article",
        {
            class: `reader ${reader.server_driven ? "" : "reader-unsupported"}`,
            dataset: {
                readerId: reader.id,
                kind: local.busy ? "processing" : reader.kind,
            },
        },
        h(
            "div",
            {class: "reader-head"},
            h("span", {class: "reader-label"}, reader.label),
            h(
                "span",
                {class: `status status-${reader.status || "none"}`, title: status},
                status
            )
        ),
        h(
            "div",
            {class: "reader-meta"},
            DEVICE_NAMES[reader.device_type] || reader.device_type,
            reader.location ? ` · ${reader.location}` : "",
            h("span", {class: "reader-id"}, reader.id)
        ),
        h(
            "div",
            {class: "device"},
            screenNode(reader, local),
            h("div", {class: "device-chin"})
        ),
        controlsNode(account, reader, local)
    );
}

function signatureOf(reader) {
    const local = localOf(reader.id);
    return JSON.stringify([reader, local.busy, local.pin, local.error]);
}

function redraw(account, reader, force) {
    const known = page.nodes[reader.id];
    const signature = signatureOf(reader);
    if (known && known.signature === signature && !force) {
        return known.node;
    }
    const node = readerNode(account, reader);
    if (known && known.node.parentNode) {
        known.node.replaceWith(node);
    }
    page.nodes[reader.id] = {node, signature, account, reader};
    return node;
}

function render(data) {
    page.catalog = {present_cards: data.present_cards, keyed_cards: data.keyed_cards};
    const container = document.getElementById("accounts");
    const seenSections = new Set();
    const seenReaders = new Set();
    for (const account of data.accounts) {
        seenSections.add(account.label);
        let section = page.sections[account.label];
        if (!section) {
            section = h(
                "section",
                {class: "account"},
                h("h2", {}, "Stripe account ", h("code", {}, account.label)),
                h("div", {class: "readers"})
            );
            page.sections[account.label] = section;
            container.append(section);
        }
        const grid = section.querySelector(".readers");
        for (const reader of account.readers) {
            seenReaders.add(reader.id);
            const node = redraw(account, reader);
            if (node.parentNode !== grid) {
                grid.append(node);
            }
        }
    }
    for (const [label, section] of Object.entries(page.sections)) {
        if (!seenSections.has(label)) {
            section.remove();
            delete page.sections[label];
        }
    }
    for (const [readerId, known] of Object.entries(page.nodes)) {
        if (!seenReaders.has(readerId)) {
            known.node.remove();
            delete page.nodes[readerId];
        }
    }
    document.getElementById("empty").hidden = data.accounts.length > 0;
}

function setConnection(state, text) {
    const node = document.getElementById("connection");
    node.dataset.state = state;
    node.textContent = text;
}

async function refresh() {
    const query = new URLSearchParams(window.location.search);
    const filter = query.get("api_key")
        ? `?api_key=${encodeURIComponent(query.get("api_key"))}`
        : "";
    try {
        const response = await fetch(`/_simulator/screens${filter}`, {
            cache: "no-store",
        });
        const body = await readJson(response);
        if (!response.ok) {
            throw new Error(
                (body.error && body.error.message) || `HTTP ${response.status}`
            );
        }
        render(body.result);
        setConnection("ok", "simulator connected");
    } catch {
        setConnection("down", "simulator unreachable");
    }
}

async function loop() {
    await refresh();
    page.pollTimer = setTimeout(loop, POLL_MS);
}

loop();
