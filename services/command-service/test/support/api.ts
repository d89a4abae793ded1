// HTTP helpers for the command API's integration tests: requests, answers, problems, fixtures.
import { testIdentity, uniqueName } from '@cqrs-shop/testing';

export type JsonObject = Record<string, unknown>;

/** One answer of the API: its status, headers and JSON body (`{}` when it had none). */
export interface ApiResponse<B = JsonObject> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: B;
}

/** A problem+json body as the suite writes it. */
export interface Problem extends JsonObject {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly errors?: readonly { readonly field: string; readonly message: string }[];
}

// Answers are type aliases, not interfaces, so that a JSON body (a JsonObject) can be cast to them.
export type CreatedCustomer = {
  readonly customerId: string;
  readonly version: number;
  readonly consistencyToken: string;
};

export type ProductAnswer = {
  readonly productId: string;
  readonly version: number;
  readonly consistencyToken: string;
};

export type OrderAnswer = {
  readonly orderId: string;
  readonly status: 'PLACED' | 'PAID' | 'SHIPPED' | 'CANCELLED';
  readonly version: number;
  readonly consistencyToken: string;
};

export type PlacedOrder = OrderAnswer & {
  readonly totalCents: number;
  readonly currency: string;
};

export interface OrderItem {
  readonly productId: string;
  readonly quantity: number;
}

/** The problem `type` URN for a code, e.g. `urn:cqrs-shop:problem:insufficient-stock`. */
export const problemType = (code: string): string => `urn:cqrs-shop:problem:${code}`;

export interface RawRequest {
  readonly method?: string;
  /** Sent as is; fetch adds `text/plain` to a string without a Content-Type, nothing to bytes. */
  readonly body?: string | Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A client of one running command API. */
export interface CommandApiClient {
  /** Any request, body sent verbatim. */
  send<B = JsonObject>(path: string, request?: RawRequest): Promise<ApiResponse<B>>;
  /** POST with a JSON body (none when `body` is undefined) and extra headers. */
  post<B = JsonObject>(
    path: string,
    body?: unknown,
    headers?: Readonly<Record<string, string>>,
  ): Promise<ApiResponse<B>>;
  registerCustomer(): Promise<CreatedCustomer>;
  addProduct(product?: {
    priceCents?: number;
    currency?: string;
    stock?: number;
    name?: string;
  }): Promise<ProductAnswer>;
  placeOrder(
    customerId: string,
    items: readonly OrderItem[],
    headers?: Readonly<Record<string, string>>,
  ): Promise<PlacedOrder>;
  /** POST /orders/{id}/pay|ship|cancel, expecting 200. */
  moveOrder(
    orderId: string,
    action: 'pay' | 'ship' | 'cancel',
    headers?: Readonly<Record<string, string>>,
  ): Promise<OrderAnswer>;
}

function expectStatus<B>(response: ApiResponse<B>, status: number, what: string): B {
  if (response.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body;
}

/**
 * A client that calls as a real one would: with the token of the principal each command needs
 * (see `TestIdentity.headersFor`), unless the request names an `Authorization` of its own (an
 * empty one sends none).
 */
export function commandApiClient(baseUrl: string): CommandApiClient {
  const identity = testIdentity();
  const send = async <B>(path: string, request: RawRequest = {}): Promise<ApiResponse<B>> => {
    const method = request.method ?? 'POST';
    const { Authorization: explicit, ...headers } = request.headers ?? {};
    let sentBody: unknown;
    try {
      sentBody = typeof request.body === 'string' ? JSON.parse(request.body) : undefined;
    } catch {
      sentBody = undefined;
    }
    const authorization = await identity.authorization(method, path, sentBody, explicit);
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...authorization, ...headers },
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    const text = await response.text();
    const body = (text === '' ? {} : JSON.parse(text)) as B;
    if (response.status < 300) identity.noteAnswer(method, path, sentBody, body);
    return { status: response.status, headers: response.headers, body };
  };

  const post = <B>(path: string, body?: unknown, headers: Readonly<Record<string, string>> = {}) =>
    send<B>(
      path,
      body === undefined
        ? { headers }
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } },
    );

  return {
    send,
    post,
    async registerCustomer() {
      const name = uniqueName('customer');
      const response = await post<CreatedCustomer>('/customers', {
        name: `Customer ${name}`,
        email: `${name}@example.com`,
      });
      return expectStatus(response, 201, 'POST /customers');
    },
    async addProduct(product = {}) {
      const response = await post<ProductAnswer>('/products', {
        sku: uniqueName('sku'),
        name: product.name ?? 'Mechanical keyboard',
        priceCents: product.priceCents ?? 1_000,
        currency: product.currency ?? 'EUR',
        stock: product.stock ?? 10,
      });
      return expectStatus(response, 201, 'POST /products');
    },
    async placeOrder(customerId, items, headers = {}) {
      const response = await post<PlacedOrder>('/orders', { customerId, items }, headers);
      return expectStatus(response, 201, 'POST /orders');
    },
    async moveOrder(orderId, action, headers = {}) {
      const response = await post<OrderAnswer>(`/orders/${orderId}/${action}`, undefined, headers);
      return expectStatus(response, 200, `POST /orders/${orderId}/${action}`);
    },
  };
}
