// The shapes of the API's JSON (CONTRACT.md; http/api/internal/render.cc).

export type Role = 'admin' | 'cs';
export interface User {
  id: string;
  email: string;
  role: Role;
  display_name?: string;
  disabled?: boolean;
  created_at?: string;
}
export interface Session {
  user: User;
  csrf_token: string;
}

export type OrderStatus = 'pending' | 'processed' | 'shipped' | 'delivered' | 'cancelled';
export const ORDER_STATUSES: OrderStatus[] = ['pending', 'processed', 'shipped', 'delivered', 'cancelled'];
export const CHANNELS = ['web', 'whatsapp', 'phone', 'walk_in', 'marketplace', 'shopify', 'woocommerce', 'api'] as const;
export type Channel = (typeof CHANNELS)[number];
export const PAYMENT_METHODS = ['bank_transfer', 'virtual_account', 'cash', 'cod', 'qris', 'ovo', 'gopay', 'dana', 'shopeepay', 'ewallet', 'card', 'other'] as const;

export interface OrderItem {
  product_id: string | null;
  sku: string;
  name: string;
  qty: number;
  price: number;
  subtotal: number;
  unknown_sku?: boolean;
  backorder?: boolean;
}
export interface TimelineEntry {
  position: string;
  type: string;
  at: string;
  actor: string;
  status: string;
  note: string | null;
}
export interface Order {
  id: string;
  external_id: string | null;
  channel: Channel;
  status: OrderStatus;
  customer_id: string;
  customer: { name: string; phone: string | null; email: string | null; city: string | null; province: string | null };
  items: OrderItem[];
  total: number;
  currency: string;
  payment: { method: string | null; timing: string | null };
  note: string | null;
  warehouse: string;
  flags: string[];
  tracking_number: string | null;
  courier: string | null;
  created_at: string;
  updated_at: string;
  timeline?: TimelineEntry[];
}

export interface StockLine {
  warehouse: string;
  on_hand: number;
  reserved: number;
  available: number;
}
export interface Product {
  id: string;
  sku: string;
  name: string;
  category: string | null;
  image_url: string | null;
  cross_sell: string | null;
  price: number;
  cost: number;
  min_stock: number;
  active: boolean;
  on_hand: number;
  reserved: number;
  available: number;
  below_min: boolean;
  stock?: StockLine[];
}
export interface StockRow {
  product_id: string;
  sku: string;
  name: string;
  warehouse: string;
  on_hand: number;
  reserved: number;
  available: number;
  min_stock: number;
  below_min: boolean;
}
export interface Warehouse {
  id: string;
  name: string;
}

export const SEGMENTS = ['big_spender', 'loyal', 'inactive', 'new_member', 'regular'] as const;
export type Segment = (typeof SEGMENTS)[number];
export interface Customer {
  id: string;
  phone: string | null;
  name: string;
  email: string | null;
  city: string | null;
  province: string | null;
  order_count: number;
  total_spent: number;
  first_order_at: string | null;
  last_order_at: string | null;
  segments: Segment[];
  primary_segment: Segment;
  recent_orders?: Order[];
}

export interface Dashboard {
  date: string;
  time_zone: string;
  currency: string;
  new_orders: number;
  sales_total: number;
  new_customers: number;
  chats: number;
  cancelled: number;
  items_sold: number;
  orders_by_status: Partial<Record<OrderStatus, number>>;
  low_stock_products: number;
  whatsapp: { status: string };
}

export interface Settings {
  shop_name: string;
  currency: string;
  time_zone: string;
  big_spender_min_spend: number;
  loyal_min_orders: number;
  inactive_after_days: number;
  new_member_days: number;
  allow_backorders: boolean;
  pending_warn_minutes: number;
  pending_critical_minutes: number;
  alerts_stock: boolean;
  alerts_pending: boolean;
  automation_thank_you: boolean;
  automation_reminders: boolean;
}

export interface ApiKey {
  id: string;
  name: string;
  scopes: string[];
  prefix: string;
  created_at: string;
  created_by: string;
  revoked: boolean;
  revoked_at: string | null;
  key?: string;
}

export interface Alert {
  id: string;
  type?: string;
  kind?: string;
  severity?: string;
  state?: string;
  title?: string;
  message?: string;
  created_at?: string;
  raised_at?: string;
  subject?: string;
  recommended_qty?: number | null;
}
