// Optional parts of the API that later work adds (alerts, WhatsApp, templates, reminders):
// the menu shows their pages only once the server answers them.
import { endpointExists } from './api';

export interface Features {
  alerts: boolean;
  whatsapp: boolean;
}

let features: Features = { alerts: false, whatsapp: false };

export async function probeFeatures(): Promise<Features> {
  const [alerts, whatsapp] = await Promise.all([
    endpointExists('/api/v1/alerts?state=open&limit=1'),
    endpointExists('/api/v1/whatsapp/status'),
  ]);
  features = { alerts, whatsapp };
  return features;
}

export function currentFeatures(): Features {
  return features;
}
