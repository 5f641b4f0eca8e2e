// Optional parts of the API that later work adds (alerts, WhatsApp, templates, reminders, the
// CS inbox):
// the menu shows their pages only once the server answers them.
import { endpointExists } from './api';

export interface Features {
  alerts: boolean;
  whatsapp: boolean;
  templates: boolean;
  reminders: boolean;
  inbox: boolean;
}

let features: Features = { alerts: false, whatsapp: false, templates: false, reminders: false, inbox: false };

export async function probeFeatures(): Promise<Features> {
  const [alerts, whatsapp, templates, reminders, inbox] = await Promise.all([
    endpointExists('/api/v1/alerts?state=open&limit=1'),
    endpointExists('/api/v1/whatsapp/status'),
    endpointExists('/api/v1/templates?limit=1'),
    endpointExists('/api/v1/reminders?limit=1'),
    endpointExists('/api/v1/agents'),
  ]);
  features = { alerts, whatsapp, templates, reminders, inbox };
  return features;
}

export function currentFeatures(): Features {
  return features;
}
